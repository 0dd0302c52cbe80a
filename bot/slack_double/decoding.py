"""Turn an incoming Web API request into one params dict, whichever way the client encoded it.

slack_sdk sends JSON bodies (chat.postMessage, views.*), form-encoded bodies (most other methods),
multipart bodies (when given `data=`), and other clients put arguments in the query string. Slack merges
all of these, so the double does too. Structured arguments (`blocks`, `view`, `metadata`...) travel as
JSON strings inside form fields; they are decoded here so tests and validators see Python objects.
"""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

# Arguments Slack documents as "JSON-encoded" when sent form-encoded.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "metadata", "view", "files", "unfurls", "user_auth_blocks", "outputs"}
)


def decode_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Query string first, body on top (a body argument wins, as it would at Slack)."""
    params: dict[str, Any] = _form_decode(query)
    params.update(_decode_body(content_type, body))
    return {key: _maybe_json(key, value) for key, value in params.items()}


def _decode_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        decoded = json.loads(body.decode("utf-8"))
        return decoded if isinstance(decoded, dict) else {}
    if media_type == "multipart/form-data":
        return _multipart_decode(content_type, body)
    # urllib labels any body x-www-form-urlencoded unless told otherwise; treat unknown types the same.
    return _form_decode(body.decode("utf-8"))


def _form_decode(text: str) -> dict[str, Any]:
    # Slack arguments are single-valued; keep the last value of a repeated key.
    return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}


def _multipart_decode(content_type: str, body: bytes) -> dict[str, Any]:
    # The stdlib email parser understands multipart/form-data once given the header it belongs to.
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        is_file = part.get_filename() is not None
        params[name] = payload if is_file else payload.decode("utf-8")
    return params


def _maybe_json(key: str, value: Any) -> Any:
    """Decode a JSON-encoded string argument; leave anything undecodable as sent (validators report it)."""
    if key not in JSON_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
