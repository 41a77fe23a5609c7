"""The changes demo: every type in its states, the CAB's decisions, a conflicting pair, the year-end freeze,
maintenance windows and the catalogue; seeded once."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from changes import workflow as wf
from changes.conflicts import change_conflicts
from changes.demo import FREEZE
from changes.models import BlackoutWindow, Change, MaintenanceWindow, StandardChange


def _seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db, settings):
    settings.ITSM_DEMO_RECORDS = 20
    return _seed_demo()


def test_the_demo_has_changes_of_each_type_in_each_state(seeded):
    assert "Changes demo ready" in seeded
    by_type_status = set(
        Change.objects.values_list("change_type", "status")
        .annotate(n=Count("id"))
        .values_list("change_type", "status")
    )
    for status in (
        wf.DRAFT,
        wf.SUBMITTED,
        wf.ASSESSMENT,
        wf.AWAITING_APPROVAL,
        wf.APPROVED,
        wf.SCHEDULED,
        wf.IMPLEMENTING,
        wf.REVIEW,
        wf.CLOSED,
        wf.FAILED,
        wf.BACKED_OUT,
        wf.REJECTED,
        wf.CANCELLED,
    ):
        if status == wf.FAILED:
            continue  # the failed change was reviewed and closed: its outcome says so
        assert (wf.NORMAL, status) in by_type_status, status
    assert (wf.EMERGENCY, wf.IMPLEMENTING) in by_type_status
    assert (wf.EMERGENCY, wf.AWAITING_APPROVAL) in by_type_status
    assert {(wf.STANDARD, wf.SCHEDULED), (wf.STANDARD, wf.CLOSED)} <= by_type_status
    outcomes = set(Change.objects.filter(status=wf.CLOSED).values_list("review_outcome", flat=True))
    assert {"successful", "failed"} <= outcomes


def test_the_demo_flags_the_emergency_done_before_its_approval(seeded):
    flagged = Change.objects.get(change_type=wf.EMERGENCY, status=wf.IMPLEMENTING)
    assert flagged.retro_approval == Change.RetroApproval.PENDING
    assert flagged.awaits_retro_approval


def test_the_demo_has_a_conflicting_pair_a_freeze_and_windows(seeded):
    patch = Change.objects.get(title="Patch PostgreSQL on lon-db-01")
    assert patch.status == wf.AWAITING_APPROVAL
    payflow = Change.objects.get(title="Upgrade PayFlow to 12.3")
    assert payflow.status == wf.SCHEDULED
    conflicts = change_conflicts(patch)
    assert any(
        conflict.kind in ("overlap", "dependency") and conflict.change == payflow.number
        for conflict in conflicts
    ), [c.message for c in conflicts]
    assert BlackoutWindow.objects.filter(name=FREEZE, services=None).exists()
    assert MaintenanceWindow.objects.filter(service__name="Payroll").exists()
    assert StandardChange.objects.filter(is_active=True).count() == 3
    rejected = Change.objects.get(status=wf.REJECTED)
    assert rejected.title.startswith("Open the file share")


def test_the_demo_is_seeded_once(seeded):
    count = Change.objects.count()
    again = _seed_demo()
    assert "Changes demo ready (nothing new)." in again
    assert Change.objects.count() == count
