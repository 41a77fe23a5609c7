"""User text to safe HTML: CommonMark without raw HTML, then a whitelist sanitiser (nh3).

Two layers on purpose: markdown-it escapes HTML and refuses `javascript:` links; nh3 keeps only the tags,
attributes and URL schemes listed here, whatever the renderer lets through.
"""

from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str | None) -> SafeString:
    """Markdown as sanitised HTML, safe to put in a page."""
    if not text:
        return mark_safe("")
    html = _renderer().render(text)
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 with the whitelist above
