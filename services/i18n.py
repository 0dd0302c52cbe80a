"""User-facing words: gettext catalogs (.po, read with Babel), one per language.

Message ids are stable dotted names ("help.unknown"); each catalog gives the text in its
language. Catalogs load on first use, never at import time.
"""

from __future__ import annotations

import gettext
import io
import threading
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from domain.locales import SUPPORTED_LANGUAGES, normalize_locale

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "alinea"
FALLBACK_LANGUAGE = "es"
_lock = threading.Lock()


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.GNUTranslations:
    with _lock, catalog_path(language).open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def message_ids(language: str) -> dict[str, str]:
    """Every message id of a language's catalog with its text (for completeness tests)."""
    with catalog_path(language).open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    return {message.id: message.string for message in catalog if message.id}


def language_of(locale: str | None) -> str:
    return normalize_locale(locale) or FALLBACK_LANGUAGE


def t(locale: str | None, message_id: str, /, **params: object) -> str:
    """The text of `message_id` in `locale`'s language, with `{name}` parameters filled in."""
    text = _translations(language_of(locale)).gettext(message_id)
    return text.format(**params) if params else text


def supported_languages() -> tuple[str, ...]:
    return SUPPORTED_LANGUAGES
