"""`POST /api/v1/teams/{team}/metrics` and `…/feedback`: the ingest API for CRMs, shops and survey
tools, as a WSGI app.

Thin on purpose: HTTP in (method, path, bearer token, content type, size, JSON), the service
(`services.ingest`) decides, HTTP out. Served by the same waitress server as Slack's endpoint
(bot/http.py routes `/api/v1/…` here); documented in `openapi.yaml` at the repository root.

Order of the checks: method and path (405, 404), the bearer token (401, before the body is
even read), content type (415), size (413), JSON (400), shape (400, 413 beyond MAX_ROWS rows),
then the rows (422 with every bad row, nothing written) or the write (200). A database that does
not answer gives 503 with Retry-After; so does a full house (more concurrent batches than
`max_concurrent`, so that API clients never take every waitress thread from Slack's acks).

The token never reaches a log line: only its display prefix does.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import is_database_outage, new_reference
from db.session import read_only
from services import feedback_ingest, ingest

logger = logging.getLogger("alinea.api")

API_PREFIX = "/api/v1/"
METRICS_PATH = re.compile(r"/api/v1/teams/(?P<team>[^/]{1,64})/(?P<kind>metrics|feedback)")
MAX_BODY_BYTES = 2 * 1024 * 1024
RETRY_AFTER_SECONDS = 5
MAX_CONCURRENT = 4
_BEARER = re.compile(r"Bearer[ \t]+(?P<token>\S+)[ \t]*", re.IGNORECASE)

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Answer:
    status: str
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def error(status: str, code: str, message: str, *headers: tuple[str, str]) -> Answer:
    return Answer(status, {"error": code, "message": message}, headers)


def unauthorized(*, presented: bool) -> Answer:
    challenge = 'Bearer realm="alinea", error="invalid_token"' if presented else 'Bearer realm="alinea"'
    return Answer(
        "401 Unauthorized",
        {"error": "invalid_token", "message": "send an active ingest token of this team as 'Authorization: Bearer aln_…' "
         "(team admins create one with /alinea token create)"},
        (("WWW-Authenticate", challenge),),
    )


def unavailable(message: str) -> Answer:
    return error("503 Service Unavailable", "unavailable", message, ("Retry-After", str(RETRY_AFTER_SECONDS)))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(body: bytes) -> Any:
    """Numbers become Decimals, exactly as written (never a float); whole ones too, since
    int() refuses more than 4,300 digits and the value's own check says the limit better."""
    return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)


class IngestApi:
    """The WSGI app for everything under /api/v1/."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime],
        max_body_bytes: int = MAX_BODY_BYTES, max_concurrent: int = MAX_CONCURRENT,
        post_alerts: Callable[[int], None] | None = None, refine_feedback: Callable[[int, Sequence[int]], None] | None = None,
    ):
        self._factory = session_factory
        self._clock = clock
        self._post_alerts = post_alerts  # team id -> post its pending alerts (after the commit)
        self._refine_feedback = refine_feedback  # (team id, item ids) -> the model's themes, queued (after the commit)
        self._max_body = max_body_bytes
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            answer = self.handle(environ)
        except Exception as failure:  # the one place an API request turns a failure into an answer
            if is_database_outage(failure):
                logger.warning("ingest API: database unavailable (%s)", type(failure).__name__)
                answer = unavailable("the database is not answering; nothing was written, retry later")
            else:
                reference = new_reference()
                logger.error("ingest API: unexpected error, reference %s", reference, exc_info=failure)
                answer = Answer("500 Internal Server Error", {
                    "error": "internal_error", "message": f"nothing was written; reference {reference}", "reference": reference,
                })
        body = json.dumps(answer.body).encode("utf-8")
        start_response(answer.status, [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store"),
            *answer.headers,
        ])
        return [body]

    def handle(self, environ: dict) -> Answer:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        match = METRICS_PATH.fullmatch(path)
        if match is None:
            return error("404 Not Found", "not_found",
                         f"no such endpoint; the API has POST {API_PREFIX}teams/{{team}}/metrics and POST {API_PREFIX}teams/{{team}}/feedback")
        if method != "POST":
            return error("405 Method Not Allowed", "method_not_allowed", "use POST", ("Allow", "POST"))
        channel_id = match.group("team")
        header = environ.get("HTTP_AUTHORIZATION")
        bearer = _BEARER.fullmatch(header or "")
        if bearer is None:
            return unauthorized(presented=bool(header))
        if not self._slots.acquire(timeout=2):
            return unavailable("too many batches at once; retry in a few seconds")
        try:
            read = self._document(environ, channel_id, bearer.group("token"))
            if isinstance(read, Answer):
                return read
            caller, document = read
            if match.group("kind") == "feedback":
                return self._feedback(caller, document)
            return self._metrics(caller, document)
        finally:
            self._slots.release()

    def _document(self, environ: dict, channel_id: str, token: str) -> tuple[ingest.Caller, Any] | Answer:
        """The caller and the JSON body, or the answer that refuses them (401, 415, 413, 400)."""
        with read_only(self._factory) as session:
            caller = ingest.authenticate(session, channel_id=channel_id, token=token)
        if caller is None:
            logger.info("ingest API: refused a token for team %s", channel_id)
            return unauthorized(presented=True)
        content_type = environ.get("CONTENT_TYPE", "")
        media_type, _, parameters = content_type.partition(";")
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.IGNORECASE)
        if media_type.strip().lower() != "application/json" or (charset and charset.group(1).lower() not in ("utf-8", "utf8")):
            return error("415 Unsupported Media Type", "unsupported_media_type", "send the body as application/json (UTF-8)")
        body = self._read_body(environ)
        if body is None:
            return error(
                "413 Content Too Large", "body_too_large",
                f"the body is larger than {self._max_body} bytes; send at most {ingest.MAX_ROWS} values per request",
            )
        try:
            document = parse_json(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as invalid:  # RecursionError: arrays nested thousands deep
            return error("400 Bad Request", "malformed_json", f"the body is not valid UTF-8 JSON: {_short(invalid)}")
        return caller, document

    def _metrics(self, caller: ingest.Caller, document: Any) -> Answer:
        channel_id = caller.channel_id
        rows = document.get("values") if isinstance(document, dict) else None
        if not isinstance(rows, list) or not rows or set(document) - {"values"}:
            return error(
                "400 Bad Request", "invalid_request",
                'the body must be an object with one field, "values": a non-empty list of rows',
            )
        if len(rows) > ingest.MAX_ROWS:
            return error(
                "413 Content Too Large", "too_many_rows",
                f"{len(rows)} values in one request; send at most {ingest.MAX_ROWS} per request (split the batch)",
            )
        now = self._clock()
        try:
            with self._factory.begin() as session:
                result = ingest.record_batch(session, caller=caller, rows=rows, now=now)
        except ingest.TokenRevoked:
            return unauthorized(presented=True)
        if not result.ok:
            logger.info("ingest API: team %s token %s… sent %d rows, %d refused", channel_id, caller.prefix, len(rows), len(result.errors))
            return Answer("422 Unprocessable Content", {
                "error": "invalid_rows", "message": "no value was written: fix the rows listed and send the whole batch again",
                "rows": [row.as_json() for row in result.errors],
            })
        logger.info("ingest API: team %s token %s… %s", channel_id, caller.prefix, result.counts())
        if result.alerts and self._post_alerts is not None:
            self._post_alerts(caller.team_id)
        return Answer("200 OK", result.counts())

    def _feedback(self, caller: ingest.Caller, document: Any) -> Answer:
        """Customer feedback: {"items": [{"id", "text", "score"?, "source"?, "received_at"?}, …]}."""
        items = document.get("items") if isinstance(document, dict) else None
        if not isinstance(items, list) or not items or set(document) - {"items"}:
            return error("400 Bad Request", "invalid_request", 'the body must be an object with one field, "items": a non-empty list of items')
        if len(items) > feedback_ingest.MAX_ITEMS:
            return error("413 Content Too Large", "too_many_items",
                         f"{len(items)} items in one request; send at most {feedback_ingest.MAX_ITEMS} per request (split the batch)")
        try:
            with self._factory.begin() as session:
                result = feedback_ingest.record_api_batch(session, caller=caller, items=items, now=self._clock())
        except ingest.TokenRevoked:
            return unauthorized(presented=True)
        if not result.ok:
            logger.info("ingest API: team %s token %s… sent %d feedback items, %d refused", caller.channel_id, caller.prefix, len(items), len(result.errors))
            return Answer("422 Unprocessable Content", {
                "error": "invalid_items", "message": "no item was written: fix the items listed and send the whole batch again",
                "items": [row.as_json() for row in result.errors],
            })
        logger.info("ingest API: team %s token %s… feedback %s", caller.channel_id, caller.prefix, result.counts())
        if result.created_ids and result.team_id is not None and self._refine_feedback is not None:
            self._refine_feedback(result.team_id, result.created_ids)
        return Answer("200 OK", result.counts())

    def _read_body(self, environ: dict) -> bytes | None:
        """The body, or None when it is larger than allowed (read no further than that)."""
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > self._max_body:
            return None
        stream = environ["wsgi.input"]
        body = stream.read(declared) if declared else stream.read(self._max_body + 1)
        return None if len(body) > self._max_body else body


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:199] + "…"
