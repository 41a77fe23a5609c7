"""A bounded crawler over the site's own links, with Django's test client (no browser).

It follows what a person could click or what a page loads by itself: `<a href>`, htmx `hx-get`, and GET
forms submitted with their default values. It never submits a POST form, so it changes nothing but what a GET
may touch (sessions, `last_used_at`). Pages are capped per URL pattern and per exact path with different
queries (a record's address per kind of record), so forty records or a thousand admin filter combinations
cost a handful of requests each.
"""

import random
import re
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.urls import Resolver404, resolve

# Links that sign out or would change something if a GET did; the rest are only ever read.
SKIP_PATH = re.compile(r"/(logout|delete|revoke)/|^/static/|^/media/|^/healthz")
SAME_SITE = {"", "testserver"}


@dataclass(frozen=True)
class Link:
    url: str
    htmx: bool = False


@dataclass
class Failure:
    url: str
    referrer: str
    status: int
    error: str

    def __str__(self):
        return f"{self.status} {self.url} (linked from {self.referrer or 'the start'}){self.error}"


@dataclass
class CrawlResult:
    pages: int = 0
    failures: list[Failure] = field(default_factory=list)
    by_route: Counter = field(default_factory=Counter)
    urls: list[str] = field(default_factory=list)  # every address requested, in order
    statuses: Counter = field(default_factory=Counter)
    seconds_by_route: Counter = field(default_factory=Counter)
    truncated: bool = False


class _LinkParser(HTMLParser):
    """Collects `<a href>`, `hx-get` and GET forms (with the values they would submit untouched)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "area") and attrs.get("href"):
            self.links.append(Link(attrs["href"]))
        if attrs.get("hx-get") is not None:
            self.links.append(Link(attrs["hx-get"] or "", htmx=True))
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._form = {"action": attrs.get("action") or "", "fields": []}
        elif tag == "form":
            self._form = None
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in ("submit", "button", "file", "image"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self._form["fields"].append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].append((name, None))
        elif tag == "option" and self._select:
            fields = self._form["fields"]
            if fields[-1][1] is None or "selected" in attrs:
                fields[-1] = (self._select, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            fields = [(name, value or "") for name, value in self._form["fields"]]
            action = self._form["action"]
            self.links.append(Link(f"{action.split('?')[0]}?{urlencode(fields)}" if fields else action))
            self._form = None


def links_in(html: str) -> list[Link]:
    parser = _LinkParser()
    parser.feed(html)
    return parser.links


def _route(path: str) -> str:
    """The URL pattern of `path`; for a record's address, with its kind's prefix ("records/<str:number>/
    PRB"): each kind of record has its own cap, so forty incidents do not crowd out every problem."""
    try:
        match = resolve(path)
    except Resolver404:
        return path
    route = match.route or path
    prefix = re.match(r"[A-Za-z]+", str(match.kwargs.get("number", "")))
    return f"{route} {prefix.group().upper()}" if prefix else route


class Crawler:
    """Breadth first from `start`, at most `max_pages` requests; every 5xx is kept with its referrer."""

    def __init__(
        self, client, *, max_pages=400, per_route=10, per_path=5, route_caps=None, seed="", on_page=None
    ):
        self.client = client
        # Called with (url, html) for every HTML page answered 200: a test's own check of what it shows.
        self.on_page = on_page
        # Each page's links are followed in an order shuffled by `seed`: crawls with different seeds
        # (one per role) sample different records within the same caps.
        self.rng = random.Random(seed)
        self.max_pages = max_pages
        self.per_route = per_route
        self.per_path = per_path
        # (path prefix, cap): tighter caps for parts with many similar pages (the admin)
        self.route_caps = route_caps or []

    def _route_cap(self, path: str) -> int:
        return next((cap for prefix, cap in self.route_caps if path.startswith(prefix)), self.per_route)

    def crawl(self, start: str = "/") -> CrawlResult:
        result = CrawlResult()
        queue: deque[tuple[Link, str]] = deque([(Link(start), "")])
        seen: set[str] = set()
        per_route: Counter = Counter()
        per_path: Counter = Counter()
        while queue:
            link, referrer = queue.popleft()
            url = self._normalise(link.url, referrer)
            if url is None or url in seen:
                continue
            seen.add(url)
            path = urlsplit(url).path
            route = _route(path)
            if per_route[route] >= self._route_cap(path) or per_path[path] >= self.per_path:
                continue
            if result.pages >= self.max_pages:
                result.truncated = True
                break
            per_route[route] += 1
            per_path[path] += 1
            result.pages += 1
            result.by_route[route] += 1
            result.urls.append(url)
            started = time.perf_counter()
            found = self._visit(url, link.htmx, referrer, result)
            result.seconds_by_route[route] += time.perf_counter() - started
            self.rng.shuffle(found)
            queue.extend((link, url) for link in found)
        return result

    @staticmethod
    def _normalise(url: str, referrer: str) -> str | None:
        absolute = urljoin(f"http://testserver{referrer}", url.strip())
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or parts.netloc not in SAME_SITE:
            return None
        if SKIP_PATH.search(parts.path):
            return None
        query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        return urlunsplit(("", "", parts.path, query, ""))

    def _visit(self, url: str, htmx: bool, referrer: str, result: CrawlResult) -> list[Link]:
        headers = {"HX-Request": "true"} if htmx else {}
        if referrer:
            headers["Referer"] = f"http://testserver{referrer}"
        response = self.client.get(url, headers=headers)
        result.statuses[response.status_code] += 1
        if response.streaming:
            # Read it through: the client's wrapper closes it without closing the test's connection.
            b"".join(response.streaming_content)
        if response.status_code >= 500:
            result.failures.append(Failure(url, referrer, response.status_code, _error(response)))
            return []
        if response.status_code in (301, 302, 303, 307, 308):
            return [Link(response["Location"])]
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or response.streaming or not content_type.startswith("text/html"):
            return []  # downloads, JSON, images, error pages: fetched, not followed
        html = response.content.decode(response.charset or "utf-8", errors="replace")
        if self.on_page is not None:
            self.on_page(url, html)
        return links_in(html)


def _error(response) -> str:
    exc_info = getattr(response, "exc_info", None)
    if not exc_info:
        return ""
    _type, value, tb = exc_info
    frames = traceback.extract_tb(tb)
    own = [frame for frame in frames if "/site-packages/" not in frame.filename] or frames
    where = f"{own[-1].filename}:{own[-1].lineno}" if own else "?"
    return f": {type(value).__name__}: {str(value)[:300]} at {where}"
