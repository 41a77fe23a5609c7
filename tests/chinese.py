"""English left on a Chinese page: the catalogue's English sentences found in what a zh-Hans reader sees.

`EnglishFinder` reads the project's catalogue (locale/zh_Hans) once: every translated message of at least
two words with no placeholder is a sentence a Chinese page must never show in English. A page's visible
text (text nodes, and the `title`, `aria-label`, `placeholder` and `alt` a reader or screen reader meets;
not scripts, styles, code or the Markdown people wrote) is searched for any of them at once.
"""

import ast
import re
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# The demo desk's own content (names, titles, descriptions) is written in English on purpose: data, not UI.
DEMO_SOURCES = ("*/demo.py", "*/demo/*.py", "servicedesk/management/commands/seed_demo.py")
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}
VISIBLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
SKIPPED = {"script", "style", "code", "pre", "template", "textarea"}
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[sdifr%]|\{[^}]*\}")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _unquote(lines: list[str]) -> str:
    return "".join(
        line[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape") for line in lines
    )


def catalogue_sentences(path: Path = CATALOGUE) -> set[str]:
    """The English of every translated message with two words or more and no placeholder."""
    sentences = set()
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            continue
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                current.append(line[6:])
            elif line.startswith("msgstr "):
                current = msgstr
                current.append(line[7:])
            elif line.startswith(("msgid_plural", "msgstr[", "msgctxt")):
                current = None
                msgid.clear()
            elif line.startswith('"') and current is not None:
                current.append(line)
        english, chinese = _unquote(msgid).strip(), _unquote(msgstr).strip()
        if not english or not chinese or english == chinese or PLACEHOLDER.search(english):
            continue
        if "<" in english or len(re.findall(r"[A-Za-z]{2,}", english)) < 2:
            continue
        sentences.add(" ".join(english.split()))
    return sentences


def demo_literals(root: Path = Path(settings.BASE_DIR)) -> str:
    """Every string literal of the demo modules that is not a message for translation, one per line."""
    literals = []
    for pattern in DEMO_SOURCES:
        for path in sorted(root.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            translated = {
                id(arg)
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT
                for arg in node.args
            }
            literals.extend(
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in translated
            )
    return "\n".join(literals)


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Django's permission names (a user's or group's permission menu) are stored in English by Django.
        permissions = tag == "select" and (attributes.get("name") or "").endswith("permissions")
        if (
            self._skipping
            or tag in SKIPPED
            or permissions
            or "markdown" in (attributes.get("class") or "").split()
        ):
            if tag not in VOID:
                self._skipping.append(tag)
            return
        self.parts.extend(attributes[name] for name in VISIBLE_ATTRIBUTES if attributes.get(name))

    def handle_endtag(self, tag):
        if self._skipping and tag not in VOID:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " \n ".join(" ".join(part.split()) for part in parser.parts if part.strip())


class EnglishFinder:
    """The catalogue's sentences, less those the demo's own English content contains (a demo service
    named "Service desk" is data that happens to match a message)."""

    def __init__(self, sentences: set[str] | None = None, data: str = ""):
        sentences = sentences if sentences is not None else catalogue_sentences()
        self.sentences = {sentence for sentence in sentences if sentence not in data}

    @cached_property
    def _pattern(self) -> re.Pattern:
        # Longest first, whole words only: "Open" inside "Open a follow-up" is the longer sentence's.
        ordered = sorted(self.sentences, key=len, reverse=True)
        return re.compile(r"(?<![A-Za-z])(?:" + "|".join(map(re.escape, ordered)) + r")(?![A-Za-z])")

    def find(self, html: str) -> set[str]:
        return set(self._pattern.findall(visible_text(html)))
