import re
from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString

from servicedesk.markdown import render_markdown

SAFE_SCHEMES = {None, "http", "https", "mailto"}
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(str(html))
    return parser.tags


def scheme_as_a_browser_reads_it(href: str) -> str | None:
    """The URL scheme per the WHATWG URL parser: control characters and spaces trimmed, tabs and
    newlines removed anywhere; None for a relative URL."""
    href = href.strip("".join(chr(c) for c in range(0x21)))
    href = re.sub(r"[\t\n\r]", "", href)
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", href)
    return match[1].lower() if match else None


def assert_safe(html: str) -> None:
    for tag, attrs in tags(html):
        assert tag in ALLOWED_TAGS, tag
        for name in attrs:
            assert not name.startswith("on"), name
            assert name in {"href", "title", "rel", "start"}, name
        if "href" in attrs:
            assert scheme_as_a_browser_reads_it(attrs["href"]) in SAFE_SCHEMES, attrs["href"]


DANGEROUS = {
    "script tag": "<script>alert(1)</script>",
    "script in text": "Hello <script src=//evil.example/x.js></script> there",
    "event handler": '<img src=x onerror="alert(1)">',
    "event handler on div": '<div onmouseover="alert(1)">hover</div>',
    "javascript link": "[click](javascript:alert(1))",
    "mixed case": "[click](JaVaScRiPt:alert(1))",
    "entity tab": "[click](jav&#x09;ascript:alert(1))",
    "entity newline": "[click](jav&#x0A;ascript:alert(1))",
    "entity letter": "[click](&#106;avascript:alert(1))",
    "leading space": "[click](<  javascript:alert(1)>)",
    "pointy destination": "[click](<javascript:alert(1)>)",
    "autolink": "<javascript:alert(1)>",
    "reference link": "[click][evil]\n\n[evil]: javascript:alert(1)",
    "reference link with title": '[click][evil]\n\n[evil]: javascript:alert(1) "title"',
    "data link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[click](vbscript:msgbox(1))",
    "raw anchor": '<a href="javascript:alert(1)">click</a>',
    "raw anchor single quotes": "<a href='JAVASCRIPT:alert(1)'>click</a>",
    "image": "![pixel](https://evil.example/track.png)",
    "image with javascript": "![x](javascript:alert(1))",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "style attribute": '<p style="position:fixed;top:0">overlay</p>',
    "style tag": "<style>body{display:none}</style>",
    "svg": '<svg onload="alert(1)"></svg>',
    "title breaking out": '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "html comment": "<!-- <script>alert(1)</script> -->",
    "form": '<form action="https://evil.example"><input name=p></form>',
}


@pytest.mark.parametrize("text", DANGEROUS.values(), ids=DANGEROUS.keys())
def test_dangerous_markup_is_removed_or_escaped(text):
    html = render_markdown(text)
    assert_safe(html)
    lowered = str(html).lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<iframe" not in lowered
    assert "<svg" not in lowered
    assert "<style" not in lowered
    assert "<form" not in lowered


@pytest.mark.parametrize("text", DANGEROUS.values(), ids=DANGEROUS.keys())
def test_no_link_carries_a_dangerous_scheme(text):
    for tag, attrs in tags(render_markdown(text)):
        if tag == "a":
            assert scheme_as_a_browser_reads_it(attrs.get("href", "")) in SAFE_SCHEMES


def test_raw_html_is_shown_as_text():
    html = str(render_markdown("<b>bold</b>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>" not in html


def test_emphasis_and_code_survive():
    html = str(render_markdown("*em* **strong** ~~gone~~ `x < y`"))
    assert "<em>em</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<s>gone</s>" in html
    assert "<code>x &lt; y</code>" in html


def test_lists_and_ordered_start_survive():
    html = str(render_markdown("- a\n- b\n\n3. three\n4. four"))
    assert "<ul>" in html
    assert "<li>a</li>" in html
    assert '<ol start="3">' in html


def test_code_block_keeps_markup_as_text():
    html = str(render_markdown("```\n<script>alert(1)</script>\n```"))
    assert "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_table_survives_without_style():
    html = str(render_markdown("| a | b |\n|--:|:-:|\n| 1 | 2 |"))
    assert "<table>" in html
    assert "<th>a</th>" in html
    assert "<td>1</td>" in html
    assert "style" not in html


def test_headings_quotes_and_rules_survive():
    html = str(render_markdown("# Title\n\n> quoted\n\n---"))
    assert "<h1>Title</h1>" in html
    assert "<blockquote>" in html
    assert "<hr>" in html or "<hr />" in html


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("[site](https://example.com/a?b=1)", "https://example.com/a?b=1"),
        ("[site](http://example.com)", "http://example.com"),
        ("[mail](mailto:desk@example.com)", "mailto:desk@example.com"),
        ("<https://example.com>", "https://example.com"),
        ("[rel](/incidents/INC0000001/)", "/incidents/INC0000001/"),
    ],
)
def test_safe_links_survive_with_rel_noopener(text, href):
    (anchor,) = [attrs for tag, attrs in tags(render_markdown(text)) if tag == "a"]
    assert anchor["href"] == href
    assert anchor["rel"] == "noopener noreferrer nofollow"


def test_link_title_survives():
    (anchor,) = [attrs for tag, attrs in tags(render_markdown('[x](https://e.com "Docs")')) if tag == "a"]
    assert anchor["title"] == "Docs"


def test_line_breaks_are_kept():
    assert "<br" in str(render_markdown("one\ntwo"))


@pytest.mark.parametrize("text", ["", None])
def test_empty_text_renders_nothing(text):
    assert render_markdown(text) == ""


def test_result_is_marked_safe():
    assert isinstance(render_markdown("*x*"), SafeString)


def test_bare_urls_are_not_linked():
    assert "<a" not in str(render_markdown("see https://example.com"))
