"""Block Kit validation, as strict as Slack's servers rather than as lenient as slack_sdk's models.

slack_sdk's models catch many mistakes (`validate_json()`), but they happily accept payloads that Slack
answers with `invalid_blocks`: an unknown block type (parsed to None with only a log warning), a header
whose text is mrkdwn, a section whose text is a bare string, duplicate block_ids, more blocks than a
message may hold. The double runs our stricter rules first and the models' validators second, so a
bug is reported the way Slack would report it.

Every function returns a list of error strings (empty = valid), each ending with a Slack-style
`[json-pointer:/blocks/0/text]` so a failing test points at the offending field.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Callable

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack_double.native_validation import IN_VIEWS, NATIVE_RULES, native_count_errors

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
TEXT_OBJECT_TYPES = ("plain_text", "mrkdwn")

Errors = list[str]


def message_blocks_errors(blocks: Any, *, native: bool = True) -> Errors:
    """Errors for the `blocks` of chat.postMessage / postEphemeral / update / a response_url post.
    `native=False` answers as a Slack without the chart and table blocks: unsupported types."""
    errors = _blocks_errors(blocks, pointer="/blocks", limit=MAX_MESSAGE_BLOCKS, native=native)
    if isinstance(blocks, list) and not errors:
        errors = native_count_errors(blocks, "/blocks")
    return errors


def view_errors(view: Any, *, native: bool = True) -> Errors:
    """Errors for the `view` of views.open / update / publish. A Home view may hold a table (one),
    a modal neither a table nor a chart, as Slack's surfaces data says; `native=False` answers as
    a Slack without the chart and table blocks."""
    if not isinstance(view, dict):
        return [_at("must be an object", "/view")]
    if "blocks" not in view:
        return [_at("missing required field: blocks", "/view")]
    takes = IN_VIEWS.get(view.get("type"), frozenset()) if native else frozenset()
    errors = _blocks_errors(view["blocks"], pointer="/view/blocks", limit=MAX_VIEW_BLOCKS, native=native, takes=takes)
    if isinstance(view["blocks"], list) and not errors:
        errors = native_count_errors(view["blocks"], "/view/blocks")
    if errors:
        # The View model would re-parse the same broken blocks (and log warnings); one report is enough.
        return errors
    return _model_errors(lambda: View(**view), "/view")


def metadata_errors(metadata: Any) -> Errors:
    """Slack wants `{"event_type": str, "event_payload": object}` (else `invalid_metadata_format`)."""
    if not isinstance(metadata, dict):
        return [_at("must be an object", "/metadata")]
    errors = []
    if not isinstance(metadata.get("event_type"), str) or not metadata.get("event_type"):
        errors.append(_at("event_type must be a non-empty string", "/metadata/event_type"))
    if not isinstance(metadata.get("event_payload"), dict):
        errors.append(_at("event_payload must be an object", "/metadata/event_payload"))
    return errors


def _blocks_errors(blocks: Any, *, pointer: str, limit: int, native: bool = True, takes: frozenset[str] | None = None) -> Errors:
    """`takes`: the native block types the surface accepts (None: a message, every one of them)."""
    if not isinstance(blocks, list):
        return [_at("must be an array", pointer)]
    errors = []
    if len(blocks) > limit:
        errors.append(_at(f"no more than {limit} items allowed (got {len(blocks)})", pointer))
    for index, block in enumerate(blocks):
        errors += _block_errors(block, f"{pointer}/{index}", native=native, takes=takes)
    errors += _duplicate_block_id_errors(blocks, pointer)
    return errors


def _block_errors(block: Any, pointer: str, *, native: bool = True, takes: frozenset[str] | None = None) -> Errors:
    if not isinstance(block, dict):
        return [_at("must be an object", pointer)]
    block_type = block.get("type")
    if block_type in NATIVE_RULES:  # newer than slack_sdk's models: our rules only
        if not native or (takes is not None and block_type not in takes):
            return [_at(f"unsupported block type: {block_type!r}", f"{pointer}/type")]
        return NATIVE_RULES[block_type](block, pointer)
    if block_type not in _known_block_types():
        # Checked before Block.parse, which would log a warning and return None.
        return [_at(f"unsupported block type: {block_type!r}", f"{pointer}/type")]
    errors = _STRICT_RULES.get(block_type, _no_rules)(block, pointer)
    if errors:
        return errors
    return _model_errors(lambda: Block.parse(block), pointer)


def _duplicate_block_id_errors(blocks: list, pointer: str) -> Errors:
    seen: set[str] = set()
    errors = []
    for index, block in enumerate(blocks):
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is None:
            continue
        if block_id in seen:
            errors.append(_at(f"duplicate block_id: {block_id!r}", f"{pointer}/{index}/block_id"))
        seen.add(block_id)
    return errors


def _model_errors(build: Callable[[], JsonObject | None], pointer: str) -> Errors:
    """Run slack_sdk's own parsing and validators; any exception means Slack would reject the payload."""
    try:
        model = build()
        if model is None:
            return [_at("unsupported block type", pointer)]
        model.validate_json()
    except Exception as exc:  # noqa: BLE001 - untrusted payload: TypeError, KeyError, SlackObjectFormationError...
        return [_at(str(exc) or type(exc).__name__, pointer)]
    return []


# --- rules slack_sdk's models do not (fully) enforce -------------------------------------------------


def _section_rules(block: dict, pointer: str) -> Errors:
    errors = []
    if "text" in block:
        errors += _text_object_errors(block["text"], f"{pointer}/text", max_len=SECTION_TEXT_MAX)
    fields = block.get("fields")
    if fields is not None:
        errors += _section_fields_errors(fields, f"{pointer}/fields")
    if "text" not in block and fields is None:
        errors.append(_at("a section needs text or fields", pointer))
    return errors


def _section_fields_errors(fields: Any, pointer: str) -> Errors:
    if not isinstance(fields, list):
        return [_at("must be an array", pointer)]
    errors = []
    if len(fields) > SECTION_FIELDS_MAX:
        errors.append(_at(f"no more than {SECTION_FIELDS_MAX} items allowed (got {len(fields)})", pointer))
    for index, item in enumerate(fields):
        errors += _text_object_errors(item, f"{pointer}/{index}", max_len=FIELD_TEXT_MAX)
    return errors


def _header_rules(block: dict, pointer: str) -> Errors:
    if "text" not in block:
        return [_at("missing required field: text", pointer)]
    return _text_object_errors(block["text"], f"{pointer}/text", max_len=HEADER_TEXT_MAX, plain_only=True)


def _context_rules(block: dict, pointer: str) -> Errors:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_at("must be a non-empty array", f"{pointer}/elements")]
    errors = []
    if len(elements) > CONTEXT_ELEMENTS_MAX:
        errors.append(
            _at(f"no more than {CONTEXT_ELEMENTS_MAX} items allowed (got {len(elements)})", f"{pointer}/elements")
        )
    for index, element in enumerate(elements):
        element_pointer = f"{pointer}/elements/{index}"
        if isinstance(element, dict) and element.get("type") == "image":
            continue  # left to the model's validators
        errors += _text_object_errors(element, element_pointer, max_len=SECTION_TEXT_MAX)
    return errors


def _text_object_errors(obj: Any, pointer: str, *, max_len: int, plain_only: bool = False) -> Errors:
    # slack_sdk turns a bare string into a text object; Slack's API wants the object itself.
    if not isinstance(obj, dict):
        return [_at("must be a text object, not a bare value", pointer)]
    allowed = ("plain_text",) if plain_only else TEXT_OBJECT_TYPES
    if obj.get("type") not in allowed:
        return [_at(f"text type must be {' or '.join(allowed)} (got {obj.get('type')!r})", f"{pointer}/type")]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [_at("must be more than 0 characters", f"{pointer}/text")]
    if len(text) > max_len:
        return [_at(f"must be less than {max_len + 1} characters (got {len(text)})", f"{pointer}/text")]
    return []


def _no_rules(block: dict, pointer: str) -> Errors:
    return []


_STRICT_RULES: dict[str, Callable[[dict, str], Errors]] = {
    "section": _section_rules,
    "header": _header_rules,
    "context": _context_rules,
}


@cache
def _known_block_types() -> frozenset[str]:
    """Every block type slack_sdk has a model for (the set Block.parse can turn into an object)."""
    known: set[str] = set()
    pending = [Block]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if isinstance(getattr(sub, "type", None), str):
                known.add(sub.type)
    return frozenset(known)


def _at(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"
