import pytest
from django.utils.translation import gettext_lazy as _

from servicedesk import kinds
from servicedesk.errors import NotFound
from servicedesk.kinds import (
    RecordKind,
    format_number,
    parse_number,
    record_get_for_user,
    record_kind,
    register_record_kind,
)
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create


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
        model="kernelkind.Chore",
        get_for_user=_no_record,
    )


@pytest.mark.parametrize(
    ("raw", "prefix", "canonical"),
    [
        ("TST0000042", "TST", "TST0000042"),
        ("tst42", "TST", "TST0000042"),
        ("  Tst42 ", "TST", "TST0000042"),
        ("TST00000000042", "TST", "TST0000042"),
        ("TST12345678", "TST", "TST12345678"),
    ],
)
def test_parse_number_gives_the_kind_and_the_canonical_number(raw, prefix, canonical):
    kind, number = parse_number(raw)
    assert (kind.prefix, number) == (prefix, canonical)


@pytest.mark.parametrize(
    "raw",
    ["", None, "42", "TST", "XYZ0000001", "TST-42", "TST 42", "TST42a", "T1", "TST1234567890123", "ＴＳＴ42"],
)
def test_parse_number_refuses_unknown_prefixes_and_malformed_numbers(raw):
    assert parse_number(raw) is None


def test_format_number_pads_to_seven_digits():
    assert format_number("CHG", 5) == "CHG0000005"
    assert format_number("CHG", 12345678) == "CHG12345678"


def test_the_test_kind_is_registered():
    assert record_kind("chore").prefix == "TST"
    assert record_kind("chore").model_class() is Chore
    assert kinds.kind_of(Chore(number="TST0000001")) is record_kind("chore")


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
    with pytest.raises(ValueError, match="TST"):
        register_record_kind(_kind(code="problem", prefix="TST"))


def test_registered_prefix_is_parsed(isolated_registry):
    register_record_kind(_kind())
    kind, number = parse_number("wid3")
    assert (kind.code, number) == ("widget", "WID0000003")


# record_get_for_user


def test_requester_finds_their_record_by_any_spelling_of_its_number(requester):
    record = chore_create(actor=requester, title="x")
    assert record_get_for_user(user=requester, number="tst1") == record
    assert record_get_for_user(user=requester, number=record.number) == record


def test_another_requesters_record_is_not_found(requester, other_requester):
    record = chore_create(actor=requester, title="x")
    with pytest.raises(NotFound):
        record_get_for_user(user=other_requester, number=record.number)


def test_agent_finds_any_record(requester, worker):
    record = chore_create(actor=requester, title="x")
    assert record_get_for_user(user=worker, number="TST1") == record


@pytest.mark.parametrize("number", ["XYZ0000001", "", "nonsense", "TST0000099"])
def test_unknown_or_malformed_numbers_are_not_found(worker, number):
    chore_create(actor=worker, title="x")
    with pytest.raises(NotFound):
        record_get_for_user(user=worker, number=number)
