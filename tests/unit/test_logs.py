"""bot/logs.py: JSON lines, the request context across threads, secrets redacted."""

import io
import json
import logging

import pytest

from bot.logs import (
    REDACTED, REQUEST_ID, WORKSPACE, RedactingRecordFactory, Redactor, configure_logging, install_redaction, make_handler,
    new_request_id,
)
from bot.workqueue import WorkQueue

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture
def logged():
    """A logger of its own writing through our handler into a buffer; returns (logger, read)."""

    def build(log_format: str = "json", secrets: tuple[str, ...] = (SIGNING_SECRET,)):
        buffer = io.StringIO()
        logger = logging.getLogger(f"alinea.test.{log_format}.{id(buffer)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(make_handler(log_format, secrets, stream=buffer))
        return logger, buffer.getvalue

    return build


def test_a_json_line_has_time_level_logger_message_and_the_request_context(logged):
    logger, read = logged()
    logger.info("plain %s", "line")
    REQUEST_ID.set("1767225600-abc")
    WORKSPACE.set("T0ACME")
    try:
        logger.warning("with context")
    finally:
        REQUEST_ID.set(None)
        WORKSPACE.set(None)
    first, second = [json.loads(line) for line in read().splitlines()]
    assert first["message"] == "plain line" and first["level"] == "INFO" and first["logger"] == logger.name
    assert first["time"].endswith("+00:00") and "request_id" not in first and "workspace" not in first
    assert (second["request_id"], second["workspace"]) == ("1767225600-abc", "T0ACME")


def test_a_token_in_an_exception_message_is_redacted(logged):
    for log_format in ("json", "text"):
        logger, read = logged(log_format)
        try:
            raise RuntimeError("auth failed for xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp")
        except RuntimeError:
            logger.exception("calling Slack failed")
        text = read()
        assert "xoxb-1234567890" not in text and "AbCdEfGhIjKlMnOp" not in text
        assert REDACTED in text and "RuntimeError: auth failed for" in text
        if log_format == "json":
            line = json.loads(text)
            assert "Traceback" in line["exception"] and REDACTED in line["exception"]


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "xoxp-2258-2222-3333-abcdef",
        "xapp-1-A0ABC-123456-deadbeef",
        "xoxe.xoxp-1-Mi0yLTIyNTg",
        "xoxe-1-My0xLTIyNTg",
        "aln_Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eA",
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx",
        "https://hooks.slack.com/commands/T0ACME/1234/AbCdEf",
        "https%3A%2F%2Fhooks.slack.com%2Factions%2FT0ACME%2F99%2Fxyz",
        "https:\\/\\/hooks.slack.com\\/actions\\/T0ACME\\/99\\/xyz",  # inside a JSON string, as Slack sends it
        "http://127.0.0.1:48211/commands/T0DOUBLE/0000123456789/9f2c4e1a",  # a proxy's or the double's host
        "https://slack-proxy.example.com/actions/T0ACME/42/AbC",
        SIGNING_SECRET,
    ],
)
def test_every_kind_of_secret_is_hidden_in_messages_and_arguments(logged, secret):
    logger, read = logged()
    logger.error("token=%s; again: " + secret.replace("%", "%%"), secret)  # in the arguments and in the text
    line = json.loads(read())
    assert secret not in line["message"] and line["message"].count(REDACTED) == 2


def test_a_bearer_credential_keeps_its_scheme_and_loses_its_value():
    assert Redactor()("Authorization: Bearer abc.def-123") == f"Authorization: Bearer {REDACTED}"


def test_urls_that_only_look_like_a_response_url_stay_readable():
    text = "see https://github.com/acme/alinea/actions/runs/42 and https://example.com/commands/today/1"
    assert Redactor()(text) == text


def test_short_placeholder_keys_and_display_prefixes_stay_readable():
    redact = Redactor(["x", "none"])  # a local model server's placeholder key
    assert redact("next: none of the tokens; prefix aln_Ab3xYz") == "next: none of the tokens; prefix aln_Ab3xYz"


def test_queued_work_logs_with_the_request_id_of_who_queued_it(logged):
    logger, read = logged()
    queue = WorkQueue(workers=1, limit=2)
    REQUEST_ID.set("req-1")
    try:
        queue.submit("t", lambda: logger.info("from the pool")).result(timeout=5)
    finally:
        REQUEST_ID.set(None)
    queue.submit("t", lambda: logger.info("later, without a request")).result(timeout=5)
    queue.shutdown()
    first, second = [json.loads(line) for line in read().splitlines()]
    assert first["request_id"] == "req-1" and "request_id" not in second


def test_request_ids_reuse_a_sane_proxy_id_or_start_with_slacks_timestamp():
    assert new_request_id("1767225600", "edge-7f3a") == "edge-7f3a"
    made = new_request_id("1767225600", "bad id\nwith a newline")
    assert made.startswith("1767225600-") and "\n" not in made
    assert new_request_id(None, None) != new_request_id(None, None)


def test_configure_logging_leaves_someone_elses_handlers_alone():
    root = logging.getLogger()
    before = list(root.handlers)  # pytest's own capture handlers
    assert before
    configure_logging("json", ())
    assert root.handlers == before


def test_a_third_party_logger_with_a_handler_of_its_own_writes_no_secret():
    """A library's logger that does not propagate, with a plain handler nobody filtered: the
    records reach it already redacted, at DEBUG as at any level."""
    buffer = io.StringIO()
    library = logging.getLogger("some_library.webhook")
    library.addHandler(logging.StreamHandler(buffer))
    library.setLevel(logging.DEBUG)
    library.propagate = False
    try:
        configure_logging("text", (SIGNING_SECRET,))  # pytest's handlers stay on the root; redaction applies anyway
        library.debug("Sending a request - url: %s, body: %s", "https://hooks.slack.com/commands/T0/1/abc",
                      '{"text": "aln_Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eA"}')
        library.info("signed with %s", SIGNING_SECRET)
    finally:
        library.handlers.clear()
    text = buffer.getvalue()
    assert text.count(REDACTED) == 3 and "hooks.slack" not in text and "aln_Zm9v" not in text and SIGNING_SECRET not in text


def test_configuring_twice_replaces_the_secrets_instead_of_stacking_factories():
    install_redaction(Redactor(("first-secret-value",)))
    install_redaction(Redactor(("second-secret-value",)))
    factory = logging.getLogRecordFactory()
    assert isinstance(factory, RedactingRecordFactory) and not isinstance(factory.wrapped, RedactingRecordFactory)
    record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "%s and %s", ("first-secret-value", "second-secret-value"), None)
    assert record.getMessage() == f"first-secret-value and {REDACTED}"
