"""Removing personal data from customer feedback before it is stored or shown to a model.

What a customer wrote is kept; who they are is not: emails, phone numbers (Colombian mobiles,
+57 numbers, other international numbers), Colombian ID numbers (cédula, NIT), mentions
(`@ana`, Slack's `<@U123>`) and URLs that carry secrets (tokens, keys, signatures in the query
or a long random path segment) are replaced by a neutral mark such as `[email]`. Only how many
of each kind were removed is returned, never what they were.

Numbers need care: prices ("$1.200.000", "45 mil") and quantities are the feedback itself. A
run of digits is an ID only when an ID word precedes it (cc, cédula, NIT, documento…), when it
has the NIT shape with a check digit (900.123.456-7), or when it is 6 to 10 bare digits with
no currency mark around it; a 10-digit number starting with 3 is a Colombian mobile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

EMAIL, PHONE, ID_NUMBER, MENTION, URL = "email", "phone", "id_number", "mention", "url"
KINDS = (EMAIL, PHONE, ID_NUMBER, MENTION, URL)
MARKS = {EMAIL: "[email]", PHONE: "[phone]", ID_NUMBER: "[id]", MENTION: "[mention]", URL: "[link]"}

_SECRET_WORDS = (
    "token", "key", "apikey", "api_key", "secret", "sig", "signature", "password", "pass", "pwd", "auth",
    "access_token", "code", "session", "sid", "jwt", "otp", "hash", "email", "phone", "cedula", "doc",
)  # fmt: skip
_SLACK_LINK = re.compile(r"<(https?://[^>|\s]+)(?:\|([^>]*))?>", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_SLACK_MENTION = re.compile(r"<[@!#][A-Za-z0-9]+(?:\|[^>]*)?>")
_EMAIL = re.compile(r"\b[\w.+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
_AT_MENTION = re.compile(r"(?<![\w@])@[\w.-]*\w")
# +57 300 123 4567, +57 (601) 234 5678, (+1) 415-555-0100: a plus, then 8 to 13 digits with separators.
_INTERNATIONAL = re.compile(r"(?<![\w+])\(?\+\d{1,3}\)?(?:[\s.-]?\(?\d+\)?){2,6}")
# 300 123 4567, 3001234567, 310-555-1234: Colombian mobiles (10 digits, first a 3).
_MOBILE = re.compile(r"(?<![\d.,$])\b3\d{2}[\s.-]?\d{3}[\s.-]?\d{4}\b(?![.,]?\d)")
_ID_WORDS = r"(?:c\.?\s?c\.?|c[eé]dula(?:\s+de\s+ciudadan[ií]a)?|nit|n\.i\.t\.?|documento|doc\.?|t\.?\s?i\.?|c\.?\s?e\.?|id|rut|pasaporte|passport)"
_ID_AFTER_WORD = re.compile(rf"(?i)\b{_ID_WORDS}\s*(?:n[oº°]\.?|#|:|número|numero|number)?\s*[:#]?\s*(\d[\d.\s-]{{4,16}}\d)")
_NIT_SHAPE = re.compile(r"(?<![\d.,$])\b\d{3}\.?\d{3}\.?\d{3}-\d\b")
_BARE_DIGITS = re.compile(r"(?<![\d.,$#])\b\d{6,10}\b(?![.,]\d)")
_CURRENCY_AFTER = re.compile(r"^\s*(?:cop|pesos?|usd|dolares|dólares|mil|k\b|m\b|millones|%)", re.IGNORECASE)


@dataclass(frozen=True)
class ScrubbedText:
    text: str
    removed: dict[str, int] = field(default_factory=dict)  # kind -> how many; kinds with none are absent

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())


def scrub(text: str) -> ScrubbedText:
    """`text` without personal data, and how many pieces of each kind were taken out."""
    counts: dict[str, int] = {}
    for kind, step in _STEPS:
        text = step(text, kind, counts)
    return ScrubbedText(text.strip(), counts)


def without_marks(text: str) -> str:
    """The text with the marks `scrub` left taken out too: what a customer actually said."""
    for mark in MARKS.values():
        text = text.replace(mark, " ")
    return text


def _replace(pattern: re.Pattern[str], keep: Callable[[re.Match[str]], bool] | None = None):
    def step(text: str, kind: str, counts: dict[str, int]) -> str:
        def swap(match: re.Match[str]) -> str:
            if keep is not None and keep(match):
                return match.group(0)
            counts[kind] = counts.get(kind, 0) + 1
            return MARKS[kind]

        return pattern.sub(swap, text)

    return step


def _slack_links(text: str, kind: str, counts: dict[str, int]) -> str:
    """Slack's `<https://…|label>`: the label stays (it is what the person saw) unless the URL is secret."""

    def swap(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        if not _has_secret(url):
            return label or url
        counts[kind] = counts.get(kind, 0) + 1
        return MARKS[kind]

    return _SLACK_LINK.sub(swap, text)


def _has_secret(url: str) -> bool:
    without_scheme = re.sub(r"^(?:https?://|www\.)", "", url, flags=re.IGNORECASE)
    path, _, query = without_scheme.partition("?")
    path, _, fragment = path.partition("#")
    query = query or fragment
    for pair in re.split(r"[&;]", query):
        name, has_value, value = pair.partition("=")
        folded = name.lower().strip()
        if has_value and value and (folded in _SECRET_WORDS or any(word in folded for word in ("token", "secret", "key", "sig", "auth", "pass"))):
            return True
    if "@" in without_scheme.split("/", 1)[0]:
        return True  # user:password@host
    return any(_looks_random(segment) for segment in path.split("/")[1:])


def _looks_random(segment: str) -> bool:
    """A path segment of 20+ characters mixing letters and digits reads as a token (reset links, invites)."""
    return (
        len(segment) >= 20 and re.fullmatch(r"[A-Za-z0-9_\-=.]+", segment) is not None
        and re.search(r"\d", segment) is not None and re.search(r"[A-Za-z]", segment) is not None
    )


def _plain_urls(text: str, kind: str, counts: dict[str, int]) -> str:
    def swap(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?)")
        tail = match.group(0)[len(url):]
        if not _has_secret(url):
            return match.group(0)
        counts[kind] = counts.get(kind, 0) + 1
        return MARKS[kind] + tail

    return _URL.sub(swap, text)


def _is_money(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 2):match.start()]
    return "$" in before or bool(_CURRENCY_AFTER.match(match.string[match.end():]))


def _ids_after_word(text: str, kind: str, counts: dict[str, int]) -> str:
    def swap(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(1))
        if not 5 <= len(digits) <= 12:
            return match.group(0)
        counts[kind] = counts.get(kind, 0) + 1
        start = match.start(1) - match.start(0)
        return match.group(0)[:start] + MARKS[kind]

    return _ID_AFTER_WORD.sub(swap, text)


_STEPS: tuple[tuple[str, Callable[[str, str, dict[str, int]], str]], ...] = (
    (URL, _slack_links),
    (MENTION, _replace(_SLACK_MENTION)),
    (URL, _plain_urls),
    (EMAIL, _replace(_EMAIL)),
    (MENTION, _replace(_AT_MENTION)),
    (ID_NUMBER, _ids_after_word),
    (ID_NUMBER, _replace(_NIT_SHAPE)),
    (PHONE, _replace(_INTERNATIONAL, keep=lambda m: len(re.sub(r"\D", "", m.group(0))) < 8)),
    (PHONE, _replace(_MOBILE)),
    (ID_NUMBER, _replace(_BARE_DIGITS, keep=_is_money)),
)
