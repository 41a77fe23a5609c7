import pytest
from django.utils.translation import gettext_lazy as _

from incidents import services
from incidents.models import Incident
from servicedesk import kinds
from servicedesk.errors import NotFound
from servicedesk.kinds import (
    RecordKind,
    format_number,
    parse_number,
    record_get_for_user,
    record_kind,
    record_kinds,
    register_record_kind,
)

from ..incidents.factories import RequestTypeFactory


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))


def _no_record(*, user, number):
    raise NotFound()


def _kind(code="widget", prefix="WID"):
    return RecordKind(
        code=code,
        prefix=prefix,
        label=_("Widget"),
        model="incidents.Incident",
        get_for_user=_no_record,
    )


@pytest.mark.parametrize(
    ("raw", "prefix", "canonical"),
    [
        ("INC0000042", "INC", "INC0000042"),
        ("inc42", "INC", "INC0000042"),
        ("  Inc42 ", "INC", "INC0000042"),
        ("INC00000000042", "INC", "INC0000042"),
        ("req7", "REQ", "REQ0000007"),
        ("REQ12345678", "REQ", "REQ12345678"),
    ],
)
def test_parse_number_gives_the_kind_and_the_canonical_number(raw, prefix, canonical):
    kind, number = parse_number(raw)
    assert (kind.prefix, number) == (prefix, canonical)


@pytest.mark.parametrize(
    "raw",
    ["", None, "42", "INC", "XYZ0000001", "INC-42", "INC 42", "INC42a", "I1", "INC1234567890123", "ＩＮＣ42"],
)
def test_parse_number_refuses_unknown_prefixes_and_malformed_numbers(raw):
    assert parse_number(raw) is None


def test_format_number_pads_to_seven_digits():
    assert format_number("CHG", 5) == "CHG0000005"
    assert format_number("CHG", 12345678) == "CHG12345678"


def test_incidents_and_requests_are_registered():
    assert {"incident", "request"} <= {kind.code for kind in record_kinds()}
    assert record_kind("incident").prefix == "INC"
    assert record_kind("request").prefix == "REQ"
    assert record_kind("request").model_class() is Incident
    assert record_kind("request").filters == {"kind": "request"}
    for code in ("incident", "request"):
        assert record_kind(code).open_statuses == ("new", "assigned", "in_progress", "on_hold")
        assert record_kind(code).sla_metrics == ("response", "resolution")


def test_unknown_kind_code_raises_lookup_error():
    with pytest.raises(LookupError):
        record_kind("spaceship")


def test_registering_the_same_kind_twice_is_harmless(isolated_registry):
    register_record_kind(_kind())
    register_record_kind(_kind())
    assert record_kind("widget").prefix == "WID"


def test_a_taken_prefix_is_refused(isolated_registry):
    register_record_kind(_kind())
    with pytest.raises(ValueError, match="WID"):
        register_record_kind(_kind(code="gadget"))
    with pytest.raises(ValueError, match="INC"):
        register_record_kind(_kind(code="problem", prefix="INC"))


def test_registered_prefix_is_parsed(isolated_registry):
    register_record_kind(_kind())
    kind, number = parse_number("wid3")
    assert (kind.code, number) == ("widget", "WID0000003")


# record_get_for_user


def test_requester_finds_their_record_by_any_spelling_of_its_number(requester):
    record = services.incident_create(actor=requester, title="x")
    assert record_get_for_user(user=requester, number="inc1") == record
    assert record_get_for_user(user=requester, number=record.number) == record


def test_requester_finds_their_request_by_number(requester):
    request_type = RequestTypeFactory()
    record = services.incident_create(actor=requester, kind="request", title="x", request_type=request_type)
    assert record_get_for_user(user=requester, number="req1") == record


def test_another_requesters_record_is_not_found(requester, other_requester):
    record = services.incident_create(actor=requester, title="x")
    with pytest.raises(NotFound):
        record_get_for_user(user=other_requester, number=record.number)


def test_agent_finds_any_record(requester, agent):
    record = services.incident_create(actor=requester, title="x")
    assert record_get_for_user(user=agent, number="INC1") == record


@pytest.mark.parametrize("number", ["XYZ0000001", "", "nonsense", "INC0000099"])
def test_unknown_or_malformed_numbers_are_not_found(agent, number):
    services.incident_create(actor=agent, title="x")
    with pytest.raises(NotFound):
        record_get_for_user(user=agent, number=number)
