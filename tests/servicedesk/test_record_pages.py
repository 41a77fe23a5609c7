"""The kernel's record pages: `/records/<number>/` handed over to the kind's page, and the jump box, for every
registered kind (the test-only chore, and a kind registered here). Incidents' and requests' own pages on
the one address: tests/incidents/test_record_address.py."""

from dataclasses import dataclass
from urllib.parse import quote_plus

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk import kinds, roles
from servicedesk.errors import NotFound
from servicedesk.kinds import RecordKind

from ..factories import UserFactory

GADGET_KEEPER = "servicedesk.view_user"  # who may see and work gadgets, in this test kind
GADGETS = "/gadgets/"  # their list, in this test kind


@dataclass
class Gadget:
    number: str


def _gadget_for_user(*, user, number):
    if number != "GAD0000007" or not user.has_perm(GADGET_KEEPER):
        raise NotFound()
    return Gadget(number=number)


def _gadget_page(request, record):
    return HttpResponse(f"The gadget page of {record.number}")


GADGET_KIND = RecordKind(
    code="gadget",
    prefix="GAD",
    label=_("Gadget"),
    model="servicedesk.User",
    get_for_user=_gadget_for_user,
    page=_gadget_page,
    can_work=lambda user: user.has_perm(GADGET_KEEPER),
    list_url=lambda words: f"{GADGETS}?q={quote_plus(words)}" if words else GADGETS,
)


@pytest.fixture
def gadgets(monkeypatch):
    """A test-only kind, registered for the test: its records exist only in `_gadget_for_user`."""
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    kinds.register_record_kind(GADGET_KIND)


@pytest.fixture
def keeper(db, gadgets):
    """Who works gadgets and nothing else."""
    user = UserFactory(roles=[roles.REQUESTER])
    user.user_permissions.add(*_permissions("servicedesk.access_workspace", GADGET_KEEPER))
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# The record page


def test_a_registered_kinds_number_is_handed_to_its_page(client, agent, gadgets):
    client.force_login(agent)

    response = client.get("/records/gad7/")

    assert response.status_code == 200
    assert response.content == b"The gadget page of GAD0000007"


def test_a_record_its_kind_does_not_show_the_user_answers_404(client, requester, gadgets):
    client.force_login(requester)

    assert client.get("/records/GAD0000007/").status_code == 404
    assert client.get("/records/GAD0000008/").status_code == 404


@pytest.mark.parametrize("number", ["XYZ0000001", "records", "INC-1", "PRB0000001"])
def test_an_unknown_prefix_or_a_malformed_number_answers_404(client, agent, number):
    client.force_login(agent)

    assert client.get(f"/records/{number}/").status_code == 404


def test_a_kind_without_a_page_answers_404(client, agent, monkeypatch, gadgets):
    monkeypatch.setitem(kinds._KINDS, "GAD", kinds.RecordKind(**{**vars(GADGET_KIND), "page": None}))
    client.force_login(agent)

    assert client.get("/records/GAD0000007/").status_code == 404


def test_a_chore_opens_on_the_one_record_address(client, worker, requester, other_requester, chore):
    """The kernel's default page for a kind without its own; 404 for who may not see the record."""
    for user in (worker, requester):
        client.force_login(user)
        response = client.get(reverse("record", args=[chore.number.lower()]))
        assert response.status_code == 200
        assert response.templates[0].name == "servicedesk/records/detail.html"
        assert chore.title in response.content.decode()
    client.force_login(other_requester)
    assert client.get(reverse("record", args=[chore.number])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, chore):
    response = client.get(reverse("record", args=[chore.number]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# The jump box


def test_jump_to_a_kind_registered_later(client, agent, gadgets):
    client.force_login(agent)
    response = client.get(reverse("record_jump"), {"number": "gad 7"})
    assert response.url == reverse("record", args=["GAD0000007"])


def test_jump_canonicalises_the_number_and_opens_the_record(client, worker, chore):
    client.force_login(worker)
    short = "tst " + str(int(chore.number[3:]))
    response = client.get(reverse("record_jump"), {"number": short})
    assert response.status_code == 302
    assert response.url == reverse("record", args=[chore.number])


@pytest.mark.parametrize("number", ["TST9999999", "XYZ0000001", "GAD0000008"])
def test_jump_to_an_unknown_number_goes_back_with_not_found(client, keeper, number):
    client.force_login(keeper)
    response = client.get(
        reverse("record_jump"), {"number": number}, headers={"referer": "http://testserver/gadgets/?q=x"}
    )
    assert response.status_code == 302
    assert response.url == "http://testserver/gadgets/?q=x"
    assert messages_of(response) == [f"No record {number} was found."]


def test_jump_to_a_record_one_may_not_see_is_not_found_either(client, keeper, chore):
    """A chore exists but the keeper may not see it: the same answer as for no record at all."""
    client.force_login(keeper)
    response = client.get(reverse("record_jump"), {"number": chore.number})
    assert response.url == GADGETS
    assert messages_of(response) == [f"No record {chore.number} was found."]


def test_jump_without_a_number_goes_back_to_the_list_of_a_kind_one_works(client, keeper):
    client.force_login(keeper)
    response = client.get(reverse("record_jump"), {"number": " "})
    assert response.url == GADGETS
    assert messages_of(response) == ["Enter a record number."]


def test_jump_with_words_searches_the_list_of_a_kind_one_works(client, keeper):
    """Not the first registered kind's list (incidents'), which the keeper may not work."""
    client.force_login(keeper)
    response = client.get(reverse("record_jump"), {"number": "printer jam"})
    assert response.url == f"{GADGETS}?q=printer+jam"


def test_jump_without_a_list_of_ones_own_goes_home(client, worker):
    """The chore has no list: words and a missing number go to the home page, not to another kind's list."""
    worker.groups.clear()
    worker.user_permissions.add(*_permissions("servicedesk.access_workspace"))
    client.force_login(worker)
    assert client.get(reverse("record_jump"), {"number": "printer jam"}).url == reverse("home")


def test_jump_is_refused_to_who_works_no_kind(client, requester):
    client.force_login(requester)
    assert client.get(reverse("record_jump"), {"number": "TST1"}).status_code == 403


def test_who_works_only_another_kind_may_jump_and_sees_the_box(client, keeper):
    """The jump box asks the registered kinds, not the incidents' permission."""
    client.force_login(keeper)

    assert "data-jump-box" in client.get(reverse("profile")).content.decode()
    assert client.get(reverse("record_jump"), {"number": "gad7"}).url == reverse(
        "record", args=["GAD0000007"]
    )


def test_without_a_kind_to_work_there_is_no_jump_box(client, db):
    agent_of_nothing = UserFactory(roles=[roles.REQUESTER])
    agent_of_nothing.user_permissions.add(*_permissions("servicedesk.access_workspace"))
    client.force_login(agent_of_nothing)

    html = client.get(reverse("profile")).content.decode()

    assert 'data-testid="nav-workspace"' in html
    assert "data-jump-box" not in html


def _permissions(*names):
    from django.contrib.auth.models import Permission

    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found
