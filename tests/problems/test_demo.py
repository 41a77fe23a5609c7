"""The problems demo: problems in each status, the KEDB's three publication states, and recurring VPN
incidents for the trend task; seeded once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from incidents.models import Incident
from problems.demo import MARKER, RECURRING_COUNT, RECURRING_VPN
from problems.models import KnownError, Problem
from problems.selectors import known_error_search, problem_of_incident
from servicedesk.models import OutboxMessage


def _seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db, settings):
    settings.ITSM_DEMO_RECORDS = 20
    return _seed_demo()


def test_the_demo_has_problems_in_every_status(seeded):
    by_status = dict(Problem.objects.values_list("status").annotate(n=Count("id")))

    assert "Problems demo ready (7 new problems, 3 known errors, 6 recurring VPN incidents" in seeded
    assert set(by_status) == {"new", "investigating", "known_error", "resolved", "closed"}
    assert set(Problem.objects.values_list("assignee__username", flat=True)) == {"dave"}
    assert Problem.objects.get(status="resolved").fix
    assert Problem.objects.exclude(worksheet="").filter(method="five_whys").count() == 2


def test_the_demo_publishes_one_known_error_to_the_portal_one_to_agents_and_keeps_a_draft(seeded):
    statuses = dict(KnownError.objects.values_list("title", "status"))

    assert statuses[MARKER] == "portal"
    assert sorted(statuses.values()) == ["agents", "draft", "portal"]
    vpn = KnownError.objects.get(title=MARKER)
    assert vpn.has_workaround
    assert [entry.title for entry in known_error_search(user=None, text="VPN drops", portal=True)] == [MARKER]
    assert [entry.pk for entry in known_error_search(user=None, text="断线", portal=True)] == [vpn.pk]


def test_the_demo_files_recurring_vpn_incidents_that_no_problem_holds(seeded):
    titles = [title for _requester, title in RECURRING_VPN]
    recurring = Incident.objects.filter(title__in=titles)

    assert recurring.count() == RECURRING_COUNT >= 5
    assert {incident.service.name for incident in recurring} == {"VPN"}
    assert all([ci.name for ci in incident.affected_cis.all()] == ["lon-vpn-01"] for incident in recurring)
    # One a day over the last days: inside the trend task's window, and with clocks from their filing.
    window = timezone.now() - timedelta(days=settings.ITSM_PROBLEM_TREND_DAYS)
    assert all(window < incident.created_at < timezone.now() - timedelta(hours=1) for incident in recurring)
    assert all(problem_of_incident(incident) is None for incident in recurring)


def test_the_demo_tells_nobody(seeded):
    assert not OutboxMessage.objects.filter(event__startswith="notification.problem").exists()


def test_seeding_again_makes_nothing_new(seeded):
    counts = (Problem.objects.count(), KnownError.objects.count(), Incident.objects.count())

    output = _seed_demo()

    assert "Problems demo ready (nothing new)." in output
    assert (Problem.objects.count(), KnownError.objects.count(), Incident.objects.count()) == counts


def test_the_demo_is_skipped_without_the_demo_estate(db):
    from problems.demo import seed_problems_demo

    out = StringIO()
    seed_problems_demo(out)

    assert "Demo problems skipped" in out.getvalue()
    assert not Problem.objects.exists()
