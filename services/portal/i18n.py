"""Languages of the portal: Vietnamese first, English second, both from gettext catalogues.

Templates and code write English message ids; `locale/vi/LC_MESSAGES/messages.po` says them in
Vietnamese. The catalogues are read from their .po files when the portal starts, so no compiled
file is kept in the repository and no build step is needed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
CATALOGUES = Path(__file__).parent / "locale"


@cache
def translations(locale: str) -> Translations:
    path = CATALOGUES / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext_for(locale: str) -> Callable[[str], str]:
    return translations(locale if locale in LOCALES else DEFAULT_LOCALE).gettext


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message
