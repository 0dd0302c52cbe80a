"""Every message id has text in every language, and every id the code uses exists."""

import re
from pathlib import Path

import pytest

from services.i18n import message_ids, supported_languages, t

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ["bot", "commands", "domain", "services"]
# A message id is a dotted string literal whose first part names a catalog section ("help.…"),
# or any dotted literal handed to UserError(...) or t(locale, ...), whatever its section.
LITERAL = re.compile(r"""["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")
CALL = re.compile(r"""(?:UserError\(\s*|\bt\(\s*[\w.]+,\s*)["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")


def ids_used_in_code() -> set[str]:
    sections = {message_id.split(".")[0] for message_id in message_ids("es")}
    found: set[str] = set()
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            found.update(literal for literal in LITERAL.findall(source) if literal.split(".")[0] in sections)
            found.update(CALL.findall(source))
    return found


def test_catalogs_have_the_same_ids_and_no_empty_text():
    catalogs = {language: message_ids(language) for language in supported_languages()}
    spanish = set(catalogs["es"])
    for language, messages in catalogs.items():
        assert set(messages) == spanish, f"{language} differs: {set(messages) ^ spanish}"
        assert all(text.strip() for text in messages.values()), f"{language} has an empty message"


def test_every_id_used_in_code_exists_in_the_catalogs():
    used = ids_used_in_code()
    assert {"help.title", "error.busy", "help.cmd.help.example"} <= used  # the scan itself works
    missing = used - set(message_ids("es"))
    assert not missing, f"message ids without text: {sorted(missing)}"


@pytest.mark.parametrize("locale, expected", [("es", "¿Quisiste decir `x`?"), ("en-US", "Did you mean `x`?"), ("fr", "¿Quisiste decir `x`?")])
def test_lookup_by_locale_with_spanish_as_the_fallback(locale, expected):
    assert t(locale, "help.did_you_mean", suggestion="x") == expected
