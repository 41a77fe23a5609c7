"""Trend detection and problem candidates: the detection per basis, its threshold, window and
idempotency, dismissals, and the decisions with their permissions."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from itsm.celery import app
from itsm.settings import base as base_settings
from problems.models import ProblemCandidate
from problems.selectors import problem_of_incident
from problems.services import problem_create
from problems.services.candidates import candidate_accept, candidate_dismiss, candidates_detect
from problems.tasks import candidates_detect_task
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import AuditEvent

from ..cmdb.factories import CIFactory
from ..incidents.factories import BusinessServiceFactory, CategoryFactory, IncidentFactory, RequestFactory

NOW = timezone.now()


@pytest.fixture(autouse=True)
def _trend_settings(settings):
    settings.ITSM_PROBLEM_TREND_DAYS = 30
    settings.ITSM_PROBLEM_TREND_THRESHOLD = 3


def _incidents(count, *, days_ago=1, cis=(), factory=IncidentFactory, **fields):
    rows = []
    for n in range(count):
        incident = factory(**fields)
        if cis:
            incident.affected_cis.set(cis)
        Incident.objects.filter(pk=incident.pk).update(created_at=NOW - timedelta(days=days_ago, minutes=n))
        rows.append(incident)
    return rows


def _proposed():
    return {
        (c.basis, c.key): (c.incident_count, {i.pk for i in c.incidents.all()})
        for c in ProblemCandidate.objects.filter(status="proposed")
    }


@pytest.fixture
def vpn(db):
    return BusinessServiceFactory(name="VPN")


def test_incidents_on_one_service_over_the_threshold_are_proposed(vpn):
    incidents = _incidents(3, service=vpn)

    assert candidates_detect(now=NOW) == {"proposed": 1, "updated": 0, "withdrawn": 0}

    candidate = ProblemCandidate.objects.get()
    assert (candidate.basis, candidate.key, candidate.label) == ("service", vpn.pk, "VPN")
    assert _proposed() == {("service", vpn.pk): (3, {i.pk for i in incidents})}


def test_incidents_sharing_a_category_or_a_ci_are_proposed(db):
    network = CategoryFactory(name="Network")
    router = CIFactory(name="rtr-01")
    by_category = _incidents(3, category=network)
    by_ci = _incidents(4, cis=[router])

    candidates_detect(now=NOW)

    assert _proposed() == {
        ("category", network.pk): (3, {i.pk for i in by_category}),
        ("ci", router.pk): (4, {i.pk for i in by_ci}),
    }
    assert set(ProblemCandidate.objects.values_list("label", flat=True)) == {"Network", "rtr-01"}


def test_fewer_than_the_threshold_propose_nothing(vpn, settings):
    _incidents(2, service=vpn)
    candidates_detect(now=NOW)
    assert not ProblemCandidate.objects.exists()

    settings.ITSM_PROBLEM_TREND_THRESHOLD = 2
    candidates_detect(now=NOW)
    assert ProblemCandidate.objects.count() == 1


def test_only_the_window_counts(vpn, settings):
    _incidents(2, service=vpn, days_ago=1)
    _incidents(2, service=vpn, days_ago=31)
    candidates_detect(now=NOW)
    assert not ProblemCandidate.objects.exists()

    settings.ITSM_PROBLEM_TREND_DAYS = 40
    candidates_detect(now=NOW)
    assert _proposed()[("service", vpn.pk)][0] == 4


def test_requests_cancelled_merged_and_linked_incidents_do_not_count(vpn, agent):
    counted = _incidents(2, service=vpn)
    _incidents(1, service=vpn, factory=RequestFactory)
    _incidents(1, service=vpn, status="cancelled")
    _incidents(1, service=vpn, merged_into=counted[0])
    linked = _incidents(1, service=vpn)
    problem_create(actor=agent, title="Known", incidents=linked)

    candidates_detect(now=NOW)

    assert not ProblemCandidate.objects.exists()


def test_running_twice_proposes_nothing_twice(vpn):
    _incidents(3, service=vpn, cis=[CIFactory()])
    first = candidates_detect(now=NOW)
    before = _proposed()

    again = candidates_detect(now=NOW + timedelta(minutes=5))

    assert first["proposed"] == 2
    assert again == {"proposed": 0, "updated": 0, "withdrawn": 0}
    assert _proposed() == before
    assert ProblemCandidate.objects.count() == 2


def test_a_growing_group_updates_its_proposal(vpn):
    _incidents(3, service=vpn)
    candidates_detect(now=NOW)
    newer = _incidents(1, service=vpn, days_ago=0)

    assert candidates_detect(now=NOW) == {"proposed": 0, "updated": 1, "withdrawn": 0}
    count, incidents = _proposed()[("service", vpn.pk)]
    assert count == 4
    assert newer[0].pk in incidents


def test_a_proposal_whose_incidents_were_linked_meanwhile_is_withdrawn(vpn, agent):
    incidents = _incidents(3, service=vpn)
    candidates_detect(now=NOW)
    problem_create(actor=agent, title="Found it", incidents=incidents[:1])

    assert candidates_detect(now=NOW) == {"proposed": 0, "updated": 0, "withdrawn": 1}
    assert not ProblemCandidate.objects.exists()


def test_a_candidate_lists_at_most_a_hundred_incidents_the_newest(vpn, monkeypatch):
    from problems.services import candidates

    monkeypatch.setattr(candidates, "MAX_LISTED", 3)
    incidents = _incidents(5, service=vpn)  # the first is the newest

    candidates_detect(now=NOW)

    count, listed = _proposed()[("service", vpn.pk)]
    assert count == 5
    assert listed == {i.pk for i in incidents[:3]}


# Dismissals


def test_a_dismissed_group_is_proposed_again_only_once_it_grew(vpn, problem_manager):
    _incidents(3, service=vpn)
    candidates_detect(now=NOW)
    candidate_dismiss(actor=problem_manager, candidate=ProblemCandidate.objects.get())

    assert candidates_detect(now=NOW)["proposed"] == 0
    _incidents(1, service=vpn, days_ago=0)
    assert candidates_detect(now=NOW)["proposed"] == 1

    fresh = ProblemCandidate.objects.get(status="proposed")
    assert fresh.incident_count == 4
    assert ProblemCandidate.objects.filter(status="dismissed").count() == 1


def test_dismissing_is_audited_and_decided_once(vpn, problem_manager):
    _incidents(3, service=vpn)
    candidates_detect(now=NOW)
    candidate = ProblemCandidate.objects.get()

    candidate_dismiss(actor=problem_manager, candidate=candidate)

    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == ("dismissed", problem_manager)
    assert AuditEvent.objects.filter(
        action="problem_candidate.dismissed", object_id=str(candidate.pk)
    ).exists()
    for decide in (candidate_dismiss, candidate_accept):
        with pytest.raises(Conflict) as raised:
            decide(actor=problem_manager, candidate=candidate)
        assert raised.value.code == "candidate_decided"


# Accepting


@pytest.fixture
def candidate(vpn):
    _incidents(3, service=vpn)
    candidates_detect(now=NOW)
    return ProblemCandidate.objects.get()


def test_accepting_raises_a_problem_with_the_incidents_linked(candidate, problem_manager, vpn):
    problem = candidate_accept(actor=problem_manager, candidate=candidate)

    assert problem.number.startswith("PRB")
    assert problem.title == "Recurring incidents: VPN"
    assert problem.service == vpn
    for incident in candidate.incidents.all():
        assert problem_of_incident(incident) == problem
    candidate.refresh_from_db()
    assert (candidate.status, candidate.problem, candidate.decided_by) == (
        "accepted",
        problem,
        problem_manager,
    )
    with pytest.raises(Conflict):
        candidate_accept(actor=problem_manager, candidate=candidate)


def test_accepting_takes_a_title_and_the_group_classification(db, problem_manager):
    network, router = CategoryFactory(name="Network"), CIFactory(name="rtr-01")
    _incidents(3, category=network, cis=[router])
    candidates_detect(now=NOW)
    by_category = ProblemCandidate.objects.get(basis="category")
    by_ci = ProblemCandidate.objects.get(basis="ci")

    problem = candidate_accept(actor=problem_manager, candidate=by_category, title="  Switch loops ")

    assert (problem.title, problem.category) == ("Switch loops", network)
    with pytest.raises(Conflict) as raised:  # its incidents are the same, linked now
        candidate_accept(actor=problem_manager, candidate=by_ci)
    assert raised.value.code == "candidate_incidents_linked"


def test_a_ci_or_category_group_gives_the_problem_the_service_its_incidents_share(db, problem_manager, vpn):
    gateway, other = CIFactory(name="vpn-gw"), CIFactory(name="rtr-02")
    _incidents(3, service=vpn, cis=[gateway])
    _incidents(2, service=vpn, cis=[other])
    _incidents(1, service=BusinessServiceFactory(name="E-mail"), cis=[other])
    candidates_detect(now=NOW)

    shared = candidate_accept(actor=problem_manager, candidate=ProblemCandidate.objects.get(label="vpn-gw"))
    mixed = candidate_accept(actor=problem_manager, candidate=ProblemCandidate.objects.get(label="rtr-02"))

    assert (shared.service, list(shared.affected_cis.all())) == (vpn, [gateway])
    assert (mixed.service, list(mixed.affected_cis.all())) == (None, [other])


def test_incidents_linked_meanwhile_are_left_out(candidate, problem_manager, agent):
    first, *others = candidate.incidents.order_by("pk")
    elsewhere = problem_create(actor=agent, title="Another", incidents=[first])

    problem = candidate_accept(actor=problem_manager, candidate=candidate)

    assert problem_of_incident(first) == elsewhere
    assert all(problem_of_incident(incident) == problem for incident in others)


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_only_problem_managers_decide(candidate, role, request):
    user = request.getfixturevalue(role)
    for decide in (candidate_accept, candidate_dismiss):
        with pytest.raises(PermissionDenied):
            decide(actor=user, candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.status == "proposed"


# The task


def test_the_task_detects(vpn):
    _incidents(3, service=vpn)

    assert candidates_detect_task() == {"proposed": 1, "updated": 0, "withdrawn": 0}
    assert candidates_detect_task()["proposed"] == 0


def test_the_beat_runs_the_task_daily():
    entry = base_settings.CELERY_BEAT_SCHEDULE["problems.candidates_detect"]

    assert entry["task"] == candidates_detect_task.name == "problems.candidates_detect"
    assert entry["schedule"] == timedelta(days=1)
    assert entry["task"] in app.tasks


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_proposes_the_candidate_once(celery_worker):
    with transaction.atomic():
        _incidents(3, service=BusinessServiceFactory(name="VPN"))

    app.send_task("problems.candidates_detect")
    app.send_task("problems.candidates_detect")

    deadline = time.monotonic() + 20
    while not ProblemCandidate.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # the second run, if it proposed again, would have done so by now
    assert ProblemCandidate.objects.filter(status="proposed").count() == 1
