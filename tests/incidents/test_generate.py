import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from incidents.models import Incident
from servicedesk import roles
from servicedesk.kinds import format_number
from servicedesk.models import NumberSequence, PriorityRule
from servicedesk.services.priority import DEFAULT_MATRIX

from ..factories import UserFactory
from .factories import CategoryFactory, RequestTypeFactory


@pytest.fixture
def desk(requester, other_requester, agent, support_group, service, request_type, subcategory):
    """People, a group with agents, a business service, a request type and a category tree."""
    UserFactory(username="third", roles=[roles.REQUESTER])
    CategoryFactory(name="Printer", parent=subcategory.parent)
    RequestTypeFactory(name="Shared folder", service=service, support_group=support_group)
    return support_group


def _generate(**options):
    out = io.StringIO()
    call_command("incidents_generate", stdout=out, **options)
    return out.getvalue()


def _numbers(prefix):
    return sorted(Incident.objects.filter(number__startswith=prefix).values_list("number", flat=True))


def test_creates_the_requested_number_of_incidents_and_requests(desk):
    output = _generate(count=600, batch_size=150, seed=1)

    assert Incident.objects.count() == 600
    kinds = dict(Incident.objects.values_list("kind").annotate(n=Count("id")))
    assert set(kinds) == {"incident", "request"}
    assert kinds["incident"] > kinds["request"] > 60
    assert "Created 600 incidents and requests" in output
    assert "rows/s" in output
    assert output.count("records,") == 4  # one progress line a batch


def test_numbers_are_gapless_per_prefix_across_batches_and_runs(desk):
    _generate(count=250, batch_size=70, seed=2)
    _generate(count=130, batch_size=1000, seed=3)

    incidents, requests = _numbers("INC"), _numbers("REQ")
    assert incidents == [format_number("INC", n) for n in range(1, len(incidents) + 1)]
    assert requests == [format_number("REQ", n) for n in range(1, len(requests) + 1)]
    assert len(incidents) + len(requests) == 380
    assert NumberSequence.objects.get(prefix="INC").last_value == len(incidents)
    assert NumberSequence.objects.get(prefix="REQ").last_value == len(requests)


def test_every_row_passes_the_models_check_constraints(desk):
    _generate(count=400, seed=4)

    for record in Incident.objects.all():
        record.validate_constraints()


def test_statuses_come_with_the_timestamps_codes_and_people_they_need(desk, settings):
    now = timezone.now()
    _generate(count=1500, batch_size=500, seed=5)
    records = Incident.objects.all()

    statuses = set(records.values_list("status", flat=True))
    assert statuses == {"new", "assigned", "in_progress", "on_hold", "resolved", "closed", "cancelled"}
    assert not records.filter(status="new").exclude(assignee=None).exists()
    assert not records.exclude(status__in=["new", "cancelled"]).filter(assignee=None).exists()
    assert not records.exclude(assignee=None).exclude(assignee__in=desk.members.all()).exists()
    assert not records.filter(status="on_hold", hold_reason="").exists()
    assert not records.exclude(status="on_hold").exclude(hold_reason="").exists()
    done = records.filter(status__in=["resolved", "closed"])
    assert not done.filter(resolved_at=None).exists()
    assert not done.filter(resolution_code="").exists()
    assert not records.exclude(status__in=["resolved", "closed"]).exclude(resolved_at=None).exists()
    assert not records.filter(status__in=["closed", "cancelled"], closed_at=None).exists()
    assert not records.exclude(status__in=["closed", "cancelled"]).exclude(closed_at=None).exists()
    assert not records.filter(resolved_at__lt=F("created_at")).exists()
    assert not records.filter(closed_at__lt=F("resolved_at")).exists()
    assert not records.filter(updated_at__lt=F("created_at")).exists()
    assert not records.exclude(csat_score=None).exclude(status="closed").exists()
    assert records.filter(status="closed").exclude(csat_score=None).exists()
    assert not records.filter(kind="request").exclude(resolution_code__in=["", "fulfilled"]).exists()
    # Resolved records past the auto-close delay would have been closed by the hourly task.
    overdue = now - timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS, hours=1)
    assert not records.filter(status="resolved", resolved_at__lt=overdue).exists()
    latest = timezone.now()
    for field in ("created_at", "updated_at", "resolved_at", "closed_at", "responded_at"):
        assert not records.filter(**{f"{field}__gt": latest}).exists(), field


def test_priority_follows_the_editable_matrix(desk):
    PriorityRule.objects.filter(impact=3, urgency=3).update(priority=4)
    _generate(count=500, seed=6)

    matrix = {**DEFAULT_MATRIX, (3, 3): 4}
    for impact, urgency, priority in Incident.objects.values_list("impact", "urgency", "priority"):
        assert priority == matrix[(impact, urgency)]
    assert set(Incident.objects.values_list("priority", flat=True)) >= {2, 3, 4}


def test_requests_have_a_request_type_and_its_service_and_incidents_none(desk, service):
    _generate(count=300, seed=7)

    requests = Incident.objects.filter(kind="request")
    assert not requests.filter(request_type=None).exists()
    assert not requests.exclude(service=F("request_type__service")).exists()
    assert not Incident.objects.filter(kind="incident").exclude(request_type=None).exists()
    assert (
        not Incident.objects.filter(kind="incident", subcategory__isnull=False)
        .exclude(subcategory__parent=F("category"))
        .exists()
    )


def test_creation_is_spread_over_the_requested_days(desk):
    _generate(count=800, seed=8, days=90)
    now = timezone.now()

    created = list(Incident.objects.values_list("created_at", flat=True))
    assert min(created) >= now - timedelta(days=91)
    assert min(created) < now - timedelta(days=60)
    assert len({stamp.date() for stamp in created}) > 45


def test_the_same_seed_makes_the_same_records(desk):
    fields = ("kind", "status", "priority", "title", "requester", "assignee", "channel")
    _generate(count=200, seed=9)
    first = list(Incident.objects.order_by("id").values_list(*fields))
    Incident.objects.all().delete()
    _generate(count=200, seed=9)

    assert list(Incident.objects.order_by("id").values_list(*fields)) == first


def test_created_at_is_kept_and_not_stamped_with_now(desk):
    _generate(count=50, seed=10)

    assert Incident.objects.filter(created_at__lt=timezone.now() - timedelta(days=2)).exists()
    # The model stamps its timestamps again after the command.
    assert Incident._meta.get_field("created_at").auto_now_add is True
    assert Incident._meta.get_field("updated_at").auto_now is True


@pytest.mark.parametrize("options", [{"count": 0}, {"count": 10, "batch_size": 0}, {"count": 10, "days": 0}])
def test_bad_options_are_refused(desk, options):
    with pytest.raises(CommandError):
        _generate(**options)


def test_an_empty_desk_is_refused(db):
    with pytest.raises(CommandError, match="seed_demo"):
        _generate(count=10)
