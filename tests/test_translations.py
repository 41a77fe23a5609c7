"""The Simplified Chinese catalogue is complete and compiled."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries():
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    return [entry for entry in text.split("\n\n") if re.search(r"^msgid ", entry, re.M)][1:]


def _string(entry: str, keyword: str) -> str:
    match = re.search(rf'^{re.escape(keyword)} ((?:".*"\n?)+)', entry + "\n", re.M)
    return "".join(ast.literal_eval(line) for line in match.group(1).split("\n") if line) if match else ""


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _entries()

    assert entries
    assert [e for e in entries if "fuzzy" in e] == []
    untranslated = [
        _string(e, "msgid") for e in entries if not (_string(e, "msgstr") or _string(e, "msgstr[0]"))
    ]
    assert untranslated == []


def test_the_compiled_catalogue_holds_every_message_of_the_source():
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in catalog if key}
    source_ids = {_string(e, "msgid") for e in _entries()}

    assert source_ids - compiled_ids == set(), "run `make messages` to compile the catalogue"
