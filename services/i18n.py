"""User-facing words: gettext catalogs (.po, read with Babel), one folder per language.

Message ids are stable dotted names ("help.unknown"); each language's folder holds one .po
file per feature (alinea.po, glossary.po, setup.po…), merged when loaded, so features keep
their words apart. Catalogs load on first use, never at import time.
"""

from __future__ import annotations

import gettext
import io
import threading
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from domain.locales import SUPPORTED_LANGUAGES, normalize_locale

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "alinea"
FALLBACK_LANGUAGE = "es"
_lock = threading.Lock()


def catalog_paths(language: str) -> list[Path]:
    return sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po"))


def _merged_catalog(language: str) -> Catalog:
    merged = Catalog(locale=language, domain=DOMAIN)
    for path in catalog_paths(language):
        with path.open("rb") as po_file:
            for message in read_po(po_file, locale=language):
                if message.id:
                    if message.id in merged:
                        raise ValueError(f"message id {message.id!r} appears twice in the {language} catalogs")
                    merged[message.id] = message
    return merged


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.GNUTranslations:
    with _lock:
        buffer = io.BytesIO()
        write_mo(buffer, _merged_catalog(language))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def message_ids(language: str) -> dict[str, str]:
    """Every message id of a language's catalogs with its text (for completeness tests)."""
    return {message.id: message.string for message in _merged_catalog(language) if message.id}


def language_of(locale: str | None) -> str:
    return normalize_locale(locale) or FALLBACK_LANGUAGE


def t(locale: str | None, message_id: str, /, **params: object) -> str:
    """The text of `message_id` in `locale`'s language, with `{name}` parameters filled in."""
    text = _translations(language_of(locale)).gettext(message_id)
    return text.format(**params) if params else text


def supported_languages() -> tuple[str, ...]:
    return SUPPORTED_LANGUAGES
