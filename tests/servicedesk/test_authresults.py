"""The Authentication-Results reader (RFC 8601): grammar, the trusted header, alignment. No database."""

from email import message_from_bytes, policy

import pytest

from servicedesk.intake.authresults import (
    Malformed,
    aligned_pass,
    parse_authentication_results,
    trusted_results,
)

GMAIL = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@example.com header.s=20230601 header.b=Ab+/9x=;\r\n"
    "       spf=pass (google.com: domain of bob@example.com designates 192.0.2.1 as permitted sender)"
    " smtp.mailfrom=bob@example.com;\r\n"
    "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"
)


def parse(value):
    return parse_authentication_results(value)


def message(*header_lines: str) -> object:
    raw = "".join(f"{line}\r\n" for line in header_lines) + "From: bob@example.com\r\n\r\nHello.\r\n"
    return message_from_bytes(raw.encode(), policy=policy.default)


# The grammar -----------------------------------------------------------------------------------


def test_a_folded_header_with_comments_parses_into_its_results():
    parsed = parse(GMAIL)

    assert parsed.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    dkim, spf, dmarc = parsed.results
    assert dkim.properties == {"header.i": "@example.com", "header.s": "20230601", "header.b": "Ab+/9x="}
    assert spf.get("smtp.mailfrom") == "bob@example.com"
    assert dmarc.get("header.from") == "example.com"


def test_none_and_a_version():
    parsed = parse("example.org 1; none")

    assert (parsed.authserv_id, parsed.results) == ("example.org", ())


def test_semicolons_and_equals_inside_comments_are_not_results():
    parsed = parse("mx.example.com; spf=fail (a; dmarc=pass header.from=example.com) smtp.mailfrom=x.example")

    assert [(r.method, r.result) for r in parsed.results] == [("spf", "fail")]
    assert parsed.results[0].properties == {"smtp.mailfrom": "x.example"}


def test_nested_comments_and_escaped_parentheses():
    parsed = parse(
        r"mx.example.com (outer (inner \) still; inner) outer); dkim=pass (x\(y) header.d=example.com"
    )

    assert parsed.authserv_id == "mx.example.com"
    assert parsed.results[0].get("header.d") == "example.com"


def test_a_quoted_value_keeps_semicolons_and_escaped_quotes_inside_it():
    parsed = parse(r'mx.example.com; spf=pass smtp.mailfrom="evil; dmarc=pass \"x\""@evil.example')

    [spf] = parsed.results
    assert spf.get("smtp.mailfrom") == 'evil; dmarc=pass "x"@evil.example'


def test_whitespace_around_the_punctuation_a_quoted_authserv_id_a_reason_and_a_method_version():
    parsed = parse('"mx example" ; dkim / 1 = PASS reason = "good; key" header . d = Example.COM')

    assert parsed.authserv_id == "mx example"
    [dkim] = parsed.results
    assert (dkim.method, dkim.result, dkim.reason) == ("dkim", "pass", "good; key")
    assert dkim.properties == {"header.d": "Example.COM"}


def test_a_repeated_property_keeps_the_first():
    [dkim] = parse("mx; dkim=pass header.d=example.com header.d=evil.example").results

    assert dkim.get("header.d") == "example.com"


def test_a_trailing_semicolon_is_tolerated():
    assert [r.method for r in parse("mx; dkim=pass header.d=example.com;").results] == ["dkim"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "mx.example.com",
        "; dkim=pass",
        "mx.example.com; dkim=pass (unterminated",
        'mx.example.com; dkim=pass header.d="unterminated',
        "mx.example.com; dkim=pass header.d=example.com)",
        "mx.example.com; dkim=pass foo",
        "mx.example.com; dkim=pass header.d",
        "mx.example.com; dkim",
        "mx.example.com; =pass",
        "mx.example.com; dkim=pass;; spf=pass",
        "mx.example.com extra words; dkim=pass",
        "mx.example.com; dkim=pass.d=example.com",
        "mx.example.com; dkim=pass domain=example.com",
        "mx.example.com; dkim=pass header.d=a\\",
    ],
)
def test_malformed_headers_raise(value):
    with pytest.raises(Malformed):
        parse(value)


# The trusted header ----------------------------------------------------------------------------


def test_only_the_topmost_header_of_a_trusted_server_is_read():
    found = trusted_results(
        message(
            "Authentication-Results: mx.example.com; dkim=none",
            "Received: from evil.example by mx.example.com",
            "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com",
        ),
        ["mx.example.com"],
    )

    assert [(r.method, r.result) for r in found.results] == [("dkim", "none")]


def test_headers_of_other_servers_above_it_are_skipped():
    found = trusted_results(
        message(
            "Authentication-Results: relay.internal.example; none",
            "Authentication-Results: MX.Example.com; dmarc=pass header.from=example.com",
        ),
        ["mx.example.com", "other.example"],
    )

    assert found.authserv_id == "MX.Example.com"


@pytest.mark.parametrize(
    "first",
    [
        "Authentication-Results: mx.example.com; dmarc=pass (broken header.from=example.com",
        "Authentication-Results: (unreadable",
    ],
)
def test_an_unreadable_header_on_top_stops_the_search(first):
    found = trusted_results(
        message(first, "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com"),
        ["mx.example.com"],
    )

    assert found is None


@pytest.mark.parametrize("trusted", [[], [""], ["other.example"]])
def test_nothing_is_trusted_without_a_matching_authserv_id(trusted):
    found = trusted_results(
        message("Authentication-Results: mx.example.com; dmarc=pass header.from=example.com"), trusted
    )

    assert found is None


def test_no_header_no_results():
    assert trusted_results(message("Subject: hi"), ["mx.example.com"]) is None


# Alignment -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "from_domain", "expected"),
    [
        ("dmarc=pass header.from=example.com", "example.com", "dmarc"),
        ("dmarc=pass header.from=EXAMPLE.com.", "Example.COM", "dmarc"),
        ("dmarc=pass", "example.com", ""),
        ("dmarc=pass header.from=evil.example", "example.com", ""),
        ("dmarc=pass header.from=evil.example; dkim=pass header.d=example.com", "example.com", ""),
        ("dmarc=fail header.from=example.com; dkim=pass header.d=example.com", "example.com", ""),
        ("dmarc=temperror header.from=example.com; dkim=pass header.d=example.com", "example.com", ""),
        ("dmarc=none header.from=example.com; dkim=pass header.d=example.com", "example.com", "dkim"),
        ("dkim=pass header.d=example.com", "example.com", "dkim"),
        ("dkim=pass header.d=example.com", "eu.example.com", "dkim"),
        ("dkim=pass header.d=eu.example.com", "example.com", ""),
        ("dkim=pass header.d=com", "example.com", ""),
        ("dkim=pass header.d=notexample.com", "example.com", ""),
        ("dkim=pass header.i=bob@example.com", "example.com", "dkim"),
        ("dkim=fail header.d=example.com; dkim=pass header.d=evil.example", "example.com", ""),
        ("dkim=fail header.d=evil.example; dkim=pass header.d=example.com", "example.com", "dkim"),
        ("dkim=neutral header.d=example.com", "example.com", ""),
        ("spf=pass smtp.mailfrom=bob@example.com", "example.com", ""),
        ("arc=pass", "example.com", ""),
    ],
)
def test_aligned_pass(results, from_domain, expected):
    assert aligned_pass(parse(f"mx.example.com; {results}"), from_domain) == expected


def test_no_results_or_no_domain_prove_nothing():
    assert aligned_pass(None, "example.com") == ""
    assert aligned_pass(parse("mx; dmarc=pass header.from=example.com"), "") == ""
