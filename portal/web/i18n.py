"""One message catalogue for pages, JavaScript, API errors and zone reasons.

Messages are written in English in the code and templates (`_()`, `gettext`, `N_` for
strings defined before a language is known, Jinja's i18n extension in templates); the Dutch
catalogue `locale/nl/LC_MESSAGES/messages.po` translates them. It is compiled with Babel at
start-up, so no binary file lives in the repository. `scripts/messages.py` (Babel's extractor)
adds new messages to the catalogue; the tests check that each one has a Dutch translation.
"""

from __future__ import annotations

import gettext as _gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"  # the city's language; English is the switch


def extract_messages(root: Path = LOCALE_DIR.parents[2]) -> set[str]:
    """Every message the code and templates use (Babel's extractor)."""
    from babel.messages.extract import extract_from_dir

    methods = [("portal/**.py", "python"), ("portal/web/templates/**.html", "jinja2")]
    options = {"portal/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = extract_from_dir(root, methods, keywords={"_": None, "gettext": None, "N_": None},
                             options_map=options)
    return {msg for _, _, msg, _, _ in found if isinstance(msg, str)}


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it yet."""
    return message


def _compile(po_path: Path) -> _gettext.NullTranslations:
    with po_path.open("rb") as f:
        catalog = read_po(f)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


class Messages:
    """The translations per language; English is the source language."""

    def __init__(self, locale_dir: Path = LOCALE_DIR, city: dict[str, str] | None = None):
        """`city`: the city's name per language, available to every message as {city}."""
        self.city = city or {}
        self.translations: dict[str, _gettext.NullTranslations] = {
            "en": _gettext.NullTranslations()}
        for lang in LANGUAGES:
            po = locale_dir / lang / "LC_MESSAGES" / "messages.po"
            if po.exists():
                self.translations[lang] = _compile(po)

    def gettext(self, lang: str, message: str, **values) -> str:
        text = self.translations.get(lang, self.translations["en"]).gettext(message)
        if "{" not in text:
            return text
        return text.format(**{"city": self.city.get(lang, ""), **values})

    def both(self, message: str, **values) -> dict[str, str]:
        """{'nl': …, 'en': …}: for API answers that carry every language."""
        return {lang: self.gettext(lang, message, **values) for lang in LANGUAGES}


def language(query_params, accept_language: str = "") -> str:
    """`?lang=en|nl`, else the browser's first choice among ours, else Dutch."""
    asked = query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    first = accept_language.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else DEFAULT_LANGUAGE
