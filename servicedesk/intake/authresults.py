"""Reading `Authentication-Results` (RFC 8601): what the receiving mail server verified about a message.

Only the mail server the desk trusts may vouch for a sender: `trusted_results` takes the topmost header
whose authserv-id is one the desk was told to trust (`ITSM_MAIL_TRUSTED_AUTHSERV_IDS`). A sender can write
any header into their message, including one that names the desk's mail server; the server prepends its
own above everything the sender wrote, so its topmost one is the only one it vouches for. This holds only
if every way into the desk's mailbox passes that server (RFC 8601 §5: it should also remove headers
bearing its own id from incoming mail). `aligned_pass` then says whether the header proves the From
domain: `dmarc=pass` for it, or `dkim=pass` signed by it (or a parent domain). SPF alone is not enough.

Pure functions over strings; a malformed header is simply not trusted.
"""

import re
from dataclasses import dataclass, field
from email.message import EmailMessage

HEADER = "Authentication-Results"
_HEAD = re.compile(r"\s*(?P<id>\"(?:[^\"\\]|\\.)*\"|[^\s\"]+)(?:\s+\d+)?\s*", re.DOTALL)
_METHOD = re.compile(
    r"\s*(?P<method>[A-Za-z0-9_-]+)\s*(?:/\s*(?P<version>\d+)\s*)?=\s*(?P<result>[A-Za-z0-9_-]+)(?P<rest>.*)",
    re.DOTALL,
)
# `ptype.property=value` or `reason=value`; a value is a run of quoted strings and other visible characters.
_PROPERTY = re.compile(
    r"\s*(?P<key>[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)?)\s*=\s*(?P<value>(?:\"(?:[^\"\\]|\\.)*\"|[^\s\"\\])+)",
    re.DOTALL,
)
_QUOTED = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")
_BACKSLASH = re.compile(r"\\(.)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


class Malformed(ValueError):
    """The header does not follow RFC 8601's grammar (an unterminated comment or quote, no result)."""


@dataclass(frozen=True)
class AuthResult:
    """One `method=result` of the header with its properties, keys and values as written (unquoted)."""

    method: str  # "dkim", lower-case
    result: str  # "pass", lower-case
    reason: str = ""
    properties: dict[str, str] = field(default_factory=dict)  # {"header.d": "example.com"}, keys lower-case

    def get(self, key: str) -> str:
        return self.properties.get(key, "")


@dataclass(frozen=True)
class AuthenticationResults:
    authserv_id: str  # as written, unquoted
    results: tuple[AuthResult, ...]

    def of(self, method: str) -> list[AuthResult]:
        return [result for result in self.results if result.method == method]


def parse_authentication_results(value: str) -> AuthenticationResults:
    """Parse one header's value (without the field name); raise Malformed when it is not RFC 8601."""
    text = _strip_comments(_FOLD.sub("", value))
    parts = _split(text, ";")
    if len(parts) > 2 and not parts[-1].strip():
        parts.pop()  # a trailing ";", which some servers write
    head = _HEAD.fullmatch(parts[0])
    if head is None:
        raise Malformed("an authserv-id, optionally followed by a version, must start the header")
    authserv_id = _unquote(head["id"])
    if not authserv_id:
        raise Malformed("empty authserv-id")
    if len(parts) == 1:
        raise Malformed("no result (not even `none`)")
    if len(parts) == 2 and parts[1].strip().lower() == "none":
        return AuthenticationResults(authserv_id=authserv_id, results=())
    results = tuple(_resinfo(part) for part in parts[1:])
    return AuthenticationResults(authserv_id=authserv_id, results=results)


def _resinfo(text: str) -> AuthResult:
    match = _METHOD.fullmatch(text)
    if match is None:
        raise Malformed(f"not a method=result: {text.strip()[:80]!r}")
    reason, properties = "", {}
    rest = match["rest"]
    position = 0
    while rest[position:].strip():
        found = _PROPERTY.match(rest, position)
        if found is None:
            raise Malformed(f"not a property: {rest[position:].strip()[:80]!r}")
        key = re.sub(r"\s+", "", found["key"]).lower()
        value = _unquote(found["value"])
        if key == "reason":
            reason = reason or value
        elif "." in key:
            # A repeated property is ambiguous; the first one counts, as with any other reader.
            properties.setdefault(key, value)
        else:
            raise Malformed(f"a property needs a type: {key!r}")
        position = found.end()
    return AuthResult(
        method=match["method"].lower(), result=match["result"].lower(), reason=reason, properties=properties
    )


def _strip_comments(text: str) -> str:
    """`text` with every (comment) replaced by a space; quoted strings kept as written."""
    out, depth, quoted, index = [], 0, False, 0
    while index < len(text):
        char = text[index]
        if char == "\\" and (quoted or depth):
            if index + 1 >= len(text):
                raise Malformed("a backslash ends the header")
            if quoted:
                out.append(text[index : index + 2])
            index += 2
            continue
        if quoted:
            out.append(char)
            quoted = char != '"'
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if not depth:
                out.append(" ")
        elif char == "(":
            depth = 1
        elif char == ")":
            raise Malformed("a comment closes that was never opened")
        else:
            out.append(char)
            quoted = char == '"'
        index += 1
    if quoted or depth:
        raise Malformed("an unterminated quoted string or comment")
    return "".join(out)


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside quoted strings."""
    parts, current, quoted, index = [], [], False, 0
    while index < len(text):
        char = text[index]
        if quoted and char == "\\":
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    """A value with its quoted strings unquoted: `"a b"@x` → `a b@x`."""
    return _QUOTED.sub(lambda m: _BACKSLASH.sub(r"\1", m[1]), value).strip()


def trusted_results(message: EmailMessage, authserv_ids) -> AuthenticationResults | None:
    """The topmost Authentication-Results header that a trusted server added, parsed; else None.

    `authserv_ids` are compared case-insensitively; empty trusts nobody. Headers of other servers above
    it (added further along the desk's own delivery path) are skipped. Nothing below it is read: the
    trusted server prepends its header above whatever the sender wrote, forged copies included. If that
    header does not parse, or a header's authserv-id cannot be read, nothing is trusted.
    """
    trusted = {str(value).strip().lower() for value in authserv_ids if str(value).strip()}
    if not trusted:
        return None
    for name, value in message.raw_items():
        if name.lower() != HEADER.lower():
            continue
        try:
            authserv_id = authserv_id_of(str(value))
            if authserv_id.lower() not in trusted:
                continue
            return parse_authentication_results(str(value))
        except Malformed:
            return None
    return None


def authserv_id_of(value: str) -> str:
    """The authserv-id of a header whose results may not parse; Malformed when even that is unreadable."""
    head = _HEAD.fullmatch(_split(_strip_comments(_FOLD.sub("", value)), ";")[0])
    if head is None or not _unquote(head["id"]):
        raise Malformed("no authserv-id")
    return _unquote(head["id"])


def aligned_pass(results: AuthenticationResults | None, from_domain: str) -> str:
    """How `results` prove the From domain: "dmarc", "dkim", or "" when they do not.

    `dmarc=pass` counts when its `header.from` names the From domain (without it, the server could have
    evaluated another From; a `dmarc` result naming another domain makes the whole header ambiguous, so
    nothing counts). `dkim=pass` counts when the signing domain (`header.d`, else the
    domain of `header.i`) is the From domain or a parent of it: only that domain's owner can publish its key.
    A `dmarc` result other than pass or none (fail, temperror...) vetoes a DKIM pass. `spf=pass` never
    counts alone: SPF checks the envelope sender, and shared sending services pass for all their customers;
    a domain that accepts that risk publishes DMARC, and then `dmarc=pass` says so.
    """
    domain = _domain(from_domain)
    if results is None or not domain:
        return ""
    dmarc = results.of("dmarc")
    if any(_domain(r.get("header.from")) not in ("", domain) for r in dmarc):
        return ""  # the server evaluated another From than the one read here: ambiguous, trust neither
    if any(r.result == "pass" and r.get("header.from") for r in dmarc):
        return "dmarc"
    if any(r.result not in ("pass", "none") for r in dmarc):
        return ""
    for result in results.of("dkim"):
        signer = _domain(result.get("header.d") or result.get("header.i").rpartition("@")[2])
        if result.result == "pass" and "." in signer and (domain == signer or domain.endswith("." + signer)):
            return "dkim"
    return ""


def _domain(value: str) -> str:
    value = (value or "").strip().rstrip(".").lower()
    return value.rpartition("@")[2] if "@" in value else value
