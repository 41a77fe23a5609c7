import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Q

from changes.models import Change
from releases.models import Release
from servicedesk.models import ApprovalRequest, AuditEvent, Organisation, SupportGroup, User

from .conftest import ALL_ROLES

DEMO_USERNAMES = [
    "alice",
    "tom",
    "liwei",
    "bob",
    "carol",
    "nina",
    "wang",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "victor",
    "admin",
]


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _password_in(output):
    return re.search(r"password for every new demo user: (\S+)\)", output).group(1)


def _counts():
    return {
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "groups": SupportGroup.objects.count(),
        "memberships": SupportGroup.members.through.objects.count(),
        "roles": User.groups.through.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


@pytest.fixture
def seeded(db):
    return _seed()


def test_seed_demo_creates_the_organisations(seeded):
    assert set(Organisation.objects.values_list("name", flat=True)) == {
        "Contoso Ltd",
        "Northwind Traders",
        "Fabrikam Shanghai",
    }


def test_seed_demo_creates_the_support_groups_with_their_tiers_and_escalations(seeded):
    groups = {
        group.name: group
        for group in SupportGroup.objects.select_related("escalation_group", "manager").exclude(
            # the changes demo's boards, and the groups fulfilling the demo's laptop requests (issue 19)
            name__in=["Change Advisory Board", "Emergency CAB", "IT procurement", "Desktop support"]
        )
    }

    assert {name: group.tier for name, group in groups.items()} == {
        "Service Desk": "tier1",
        "Network": "tier2",
        "Applications": "tier2",
        "Acme Hosting": "vendor",
    }
    assert {name: getattr(group.escalation_group, "name", None) for name, group in groups.items()} == {
        "Service Desk": "Applications",
        "Network": "Acme Hosting",
        "Applications": "Acme Hosting",
        "Acme Hosting": None,
    }
    assert {name: group.manager.username for name, group in groups.items()} == {
        "Service Desk": "carol",
        "Network": "nina",
        "Applications": "dave",
        "Acme Hosting": "victor",
    }
    assert set(groups["Service Desk"].members.values_list("username", flat=True)) == {"bob", "carol"}


def test_seed_demo_creates_a_user_for_every_role(seeded):
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERNAMES)
    for role in ALL_ROLES:
        assert Group.objects.get(name=role).user_set.exists(), role


def test_seed_demo_users_keep_their_language_and_time_zone(seeded):
    liwei = User.objects.get(username="liwei")

    assert (liwei.language, liwei.time_zone, liwei.organisation.name) == (
        "zh-hans",
        "Asia/Shanghai",
        "Fabrikam Shanghai",
    )
    assert User.objects.get(username="admin").is_superuser


def test_seed_demo_audits_what_it_creates_as_the_system(seeded):
    events = AuditEvent.objects.all()

    assert events.filter(action="user.created").count() == len(DEMO_USERNAMES)
    assert events.filter(action="organisation.created").count() == 3
    assert events.filter(action="support_group.created").count() == 4
    # The incidents demo acts as the demo people (requesters file, agents work), the problems demo as dave
    # (the problem manager), and so do heidi's baseline and import, bob's API token (only its owner creates
    # a token) and the approval Alice's request asks of her manager; the rest is the system.
    problems = events.filter(action__regex=r"^(problem|knownerror)\.")
    assert set(problems.values_list("actor__username", flat=True)) == {"dave"}
    # The changes demo acts as its people too: bob raises and implements, erin runs them, the CAB decides.
    cab_requests = ApprovalRequest.objects.filter(content_type=ContentType.objects.get_for_model(Change))
    changes = events.filter(
        Q(action__startswith="change.")
        | Q(
            action__startswith="approval.",
            object_id__in=[str(pk) for pk in cab_requests.values_list("pk", flat=True)],
        )
    )
    assert set(changes.values_list("actor__username", flat=True)) >= {"bob", "erin", "nina"}
    # The releases demo: grace runs them, wang keeps the tests, bob's pipeline reports (and the CMDB is
    # updated on its behalf, "via release:REL…"), the go/no-go approvers decide.
    go_requests = ApprovalRequest.objects.filter(content_type=ContentType.objects.get_for_model(Release))
    releases = events.filter(
        Q(action__startswith="release.")
        | Q(action="ci.updated_many", data__via__startswith="release:")
        | Q(
            action__startswith="approval.",
            object_id__in=[str(pk) for pk in go_requests.values_list("pk", flat=True)],
        )
    )
    assert set(releases.values_list("actor__username", flat=True)) >= {"grace", "wang", "bob"}
    by_people = (
        events.exclude(action__startswith="incident.")
        .exclude(pk__in=problems)
        .exclude(pk__in=changes)
        .exclude(pk__in=releases)
        .exclude(actor=None)
    )
    assert set(by_people.values_list("action", "actor__username")) == {
        ("baseline.created", "heidi"),
        ("cmdb.import_started", "heidi"),
        ("ci.created", "heidi"),
        ("ci.updated", "heidi"),
        ("cmdb.import_finished", "heidi"),
        ("user.token_created", "bob"),
        ("approval.requested", "alice"),
        # Issue 19: the demo's macros, its knowledge articles (bob writes, carol publishes) and carol's
        # approval of Alice's laptop.
        ("macro.created", "admin"),
        ("macro.created", "bob"),
        ("macro.created", "carol"),
        ("article.created", "bob"),
        ("article.updated", "bob"),
        ("article.submit", "bob"),
        ("article.publish", "carol"),
        ("approval.approved", "carol"),
        ("approval.decided", "carol"),
    }


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_each_demo_user_can_sign_in_with_the_printed_password(client, seeded, username):
    password = _password_in(seeded)

    response = client.post("/login/", {"username": username, "password": password})

    assert response.status_code == 302
    assert response.url == "/"


def test_running_seed_demo_twice_creates_nothing_more(seeded):
    before = _counts()

    output = _seed()

    assert _counts() == before
    assert "Demo data ready (0 new users)." in output
    assert "Demo data ready (14 new users)." in seeded


def test_seed_demo_leaves_a_changed_demo_user_alone(seeded):
    User.objects.filter(username="bob").update(full_name="Robert Smith")

    _seed()

    assert User.objects.get(username="bob").full_name == "Robert Smith"
