"""The measures problems, changes and releases register, pinned on small hand-built data. Records are
written straight to their tables in the states the measures read (their workflows are tested in their
apps); every expected value is worked out by hand here."""

import pytest
from django.contrib.contenttypes.models import ContentType

from changes import workflow as change_wf
from changes.links import CHANGE_CAUSED
from changes.models import Change, StandardChange
from problems.links import PROBLEM_INCIDENTS
from problems.models import Deflection, KnownError, Problem, WorkaroundApplication
from releases import workflow as release_wf
from releases.models import Release
from servicedesk.models import RecordLink
from servicedesk.reporting.measures import Query, Scope, measures
from servicedesk.services.numbering import number_allocate

from ..incidents.factories import BusinessServiceFactory, IncidentFactory
from .conftest import ask, at

pytestmark = pytest.mark.django_db

JAN, FEB = at(2026, 1, 1), at(2026, 2, 1)


def make(model, prefix, requester, **fields):
    """A record of `model` in the state `fields` say (times included), straight to its table."""
    record = model.objects.create(
        number=number_allocate(prefix=prefix)[0], title="Thing", requester=requester
    )
    model.objects.filter(pk=record.pk).update(**fields)
    record.refresh_from_db()
    return record


def link(link_type, source, target, moment):
    row = RecordLink.objects.create(
        link_type=link_type,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
    )
    RecordLink.objects.filter(pk=row.pk).update(created_at=moment)


def by_key(result) -> dict:
    return {row.key: row.values for row in result.rows}


# Problems ----------------------------------------------------------------------------------------------


@pytest.fixture
def problems(requester, first_line, second_line):
    def problem(**fields):
        return make(Problem, "PRB", requester, **fields)

    return {
        "resolved": problem(
            support_group=first_line,
            status="resolved",
            created_at=at(2026, 1, 5),
            resolved_at=at(2026, 1, 20),
        ),
        "open": problem(support_group=first_line, status="investigating", created_at=at(2026, 1, 10)),
        "cancelled": problem(
            support_group=second_line,
            status="cancelled",
            created_at=at(2026, 1, 15),
            closed_at=at(2026, 1, 16, 12),
        ),
        "old": problem(support_group=first_line, status="known_error", created_at=at(2025, 12, 20)),
    }


def test_problems_filed_resolved_and_open_at_the_end(problems, first_line, second_line):
    month = ask("problems", JAN, FEB, bucket="month")
    groups = ask("problems", JAN, FEB, by="group")
    days = ask("problems", at(2026, 1, 14), at(2026, 1, 17))

    # filed in January: resolved, open, cancelled; open on 31 January: open and old
    assert month.rows[0].values == {"opened": 3, "resolved": 1, "open": 2}
    assert by_key(groups) == {
        first_line.pk: {"opened": 2, "resolved": 1, "open": 2},
        second_line.pk: {"opened": 1, "resolved": 0, "open": 0},
    }
    # at the end of the 14th: resolved (until the 20th), open, old; the 15th adds cancelled; the 16th not
    assert [row.values["open"] for row in days.rows] == [3, 4, 3]


def test_problems_within_the_scope(problems, first_line, second_line, agent):
    assert ask("problems", JAN, FEB, scope=Scope(groups=(second_line.pk,))).totals["opened"] == 1
    Problem.objects.filter(pk=problems["cancelled"].pk).update(assignee=agent)
    assert ask("problems", JAN, FEB, scope=Scope(agent=agent.pk)).totals["opened"] == 1
    assert ask("problems", JAN, FEB, scope=Scope()).totals["opened"] == 0


def test_known_errors_workarounds_and_their_use(problems, requester, first_line, second_line):
    with_workaround = KnownError.objects.create(
        problem=problems["resolved"],
        title="Print spooler",
        workaround="Restart the spooler.",
        status="portal",
    )
    without = KnownError.objects.create(problem=problems["cancelled"], title="Disk", status="draft")
    late = KnownError.objects.create(
        problem=problems["open"], title="Later", workaround="Wait.", status="agents"
    )
    KnownError.objects.filter(pk__in=[with_workaround.pk, without.pk]).update(created_at=at(2026, 1, 21))
    KnownError.objects.filter(pk=late.pk).update(created_at=at(2026, 2, 3))
    for day in (22, 23):
        applied = WorkaroundApplication.objects.create(
            known_error=with_workaround, incident=IncidentFactory(requester=requester)
        )
        WorkaroundApplication.objects.filter(pk=applied.pk).update(applied_at=at(2026, 1, day))

    result = ask("known_errors", JAN, FEB, by="group")

    assert by_key(result) == {
        first_line.pk: {"known_errors": 1, "with_workaround": 1, "published": 1, "applied": 2},
        second_line.pk: {"known_errors": 1, "with_workaround": 0, "published": 0, "applied": 0},
    }
    assert result.totals == {"known_errors": 2, "with_workaround": 1, "published": 1, "applied": 2}


def test_incidents_linked_to_problems(problems, requester, first_line):
    first, second, third = (IncidentFactory(requester=requester) for _ in range(3))
    link(PROBLEM_INCIDENTS, problems["resolved"], first, at(2026, 1, 6))
    link(PROBLEM_INCIDENTS, problems["resolved"], second, at(2026, 1, 7))
    link(PROBLEM_INCIDENTS, problems["cancelled"], third, at(2026, 1, 15))
    link(PROBLEM_INCIDENTS, problems["open"], IncidentFactory(requester=requester), at(2026, 2, 2))

    assert ask("problem_incidents", JAN, FEB).totals == {"incidents": 3, "problems": 2}
    mine = ask("problem_incidents", JAN, FEB, by="group", scope=Scope(groups=(first_line.pk,)))
    assert by_key(mine) == {first_line.pk: {"incidents": 2, "problems": 1}}


def test_deflection_counts_the_incidents_avoided(problems, requester):
    known_error = KnownError.objects.create(
        problem=problems["resolved"], title="Print spooler", workaround="Restart.", status="portal"
    )
    outcomes = ["shown"] * 3 + ["accepted"] * 2 + ["filed"]
    for outcome in outcomes:
        row = Deflection.objects.create(known_error=known_error, user=requester, outcome=outcome)
        Deflection.objects.filter(pk=row.pk).update(created_at=at(2026, 1, 25))
    february = Deflection.objects.create(known_error=known_error, user=requester, outcome="accepted")
    Deflection.objects.filter(pk=february.pk).update(created_at=at(2026, 2, 2))

    result = ask("deflection", JAN, FEB, bucket="month")

    # two avoided, one filed anyway: two of the three that ended either way
    assert result.totals == {"shown": 3, "avoided": 2, "filed": 1, "rate": 66.7}


# Changes -----------------------------------------------------------------------------------------------


@pytest.fixture
def changes(requester, first_line, second_line):
    def change(**fields):
        return make(Change, "CHG", requester, **fields)

    reviewed = {"status": change_wf.CLOSED, "reviewed_at": at(2026, 1, 20)}
    template = StandardChange.objects.create(
        name="Patch a server", implementation_plan="Patch.", test_plan="Check.", backout_plan="Undo."
    )
    return {
        "ok": change(
            support_group=first_line, change_type="normal", review_outcome="successful",
            actual_end=at(2026, 1, 12), created_at=at(2026, 1, 5), **reviewed,
        ),
        "failed": change(
            support_group=first_line, change_type="emergency", review_outcome="failed",
            actual_end=at(2026, 1, 13), created_at=at(2026, 1, 6), **reviewed,
        ),
        "standard": change(
            support_group=second_line, change_type="standard", standard_change=template,
            review_outcome="successful",
            actual_end=at(2026, 1, 14), created_at=at(2026, 1, 7), **reviewed,
        ),
        "draft": change(support_group=first_line, change_type="emergency", created_at=at(2026, 1, 8)),
        "february": change(
            support_group=first_line, change_type="emergency", review_outcome="backed_out", status="closed",
            reviewed_at=at(2026, 2, 3), actual_end=at(2026, 2, 2), created_at=at(2026, 2, 1, 1),
        ),
    }  # fmt: skip


def test_change_success_rate(changes):
    result = ask("change_success", JAN, FEB, bucket="month")

    assert result.totals == {
        "reviewed": 3,
        "successful": 2,
        "partial": 0,
        "failed": 1,
        "backed_out": 0,
        "rate": 66.7,
    }


def test_emergency_share_leaves_drafts_out(changes, first_line):
    result = ask("change_types", JAN, FEB, bucket="month")
    mine = ask("change_types", JAN, FEB, by="group", scope=Scope(groups=(first_line.pk,)))

    assert result.totals == {"raised": 3, "standard": 1, "normal": 1, "emergency": 1, "share": 33.3}
    assert by_key(mine) == {
        first_line.pk: {"raised": 2, "standard": 0, "normal": 1, "emergency": 1, "share": 50.0}
    }


def test_changes_causing_incidents(changes, requester, first_line, second_line):
    first, second = IncidentFactory(requester=requester), IncidentFactory(requester=requester)
    link(CHANGE_CAUSED, changes["ok"], first, at(2026, 1, 20))
    link(CHANGE_CAUSED, changes["ok"], second, at(2026, 1, 20))  # two incidents, one change
    link(CHANGE_CAUSED, changes["february"], first, at(2026, 2, 3))

    result = ask("changes_causing_incidents", JAN, FEB, by="group")

    assert by_key(result) == {
        first_line.pk: {"implemented": 2, "causing": 1, "rate": 50.0},
        second_line.pk: {"implemented": 1, "causing": 0, "rate": 0.0},
    }
    assert result.totals == {"implemented": 3, "causing": 1, "rate": 33.3}


def test_a_service_owner_sees_the_changes_on_their_services(changes, support_group):
    service = BusinessServiceFactory()
    changes["ok"].services.add(service)

    result = ask("change_success", JAN, FEB, bucket="month", scope=Scope(services=(service.pk,)))
    filtered = ask("change_success", JAN, FEB, bucket="month", services=(service.pk,))

    assert result.totals["reviewed"] == filtered.totals["reviewed"] == 1


# Releases ----------------------------------------------------------------------------------------------


def test_releases_on_time_failed_and_rolled_back(requester, first_line):
    def release(**fields):
        return make(Release, "REL", requester, support_group=first_line, **fields)

    release(status=release_wf.DEPLOYED, planned_end=at(2026, 1, 10), actual_end=at(2026, 1, 9))
    release(
        status=release_wf.ROLLED_BACK,
        planned_end=at(2026, 1, 10),
        actual_end=at(2026, 1, 12),
        rollback_extent="partial",
    )
    release(status=release_wf.FAILED, actual_end=at(2026, 1, 15))
    release(
        status=release_wf.CLOSED, outcome="rolled_back", rollback_extent="full", actual_end=at(2026, 2, 2)
    )

    result = ask("release_delivery", JAN, FEB, bucket="month")

    # on time: one of the two with a planned end
    assert result.totals == {
        "ended": 3,
        "planned": 2,
        "on_time": 1,
        "failed": 1,
        "rolled_back_partly": 1,
        "rolled_back_wholly": 0,
        "on_time_rate": 50.0,
    }
    assert ask("release_delivery", FEB, at(2026, 3, 1)).totals["rolled_back_wholly"] == 1


# Every process measure ---------------------------------------------------------------------------------

PROCESS = ("Problems", "Changes", "Releases")


@pytest.mark.parametrize("by", ["period", "group"])
def test_every_process_measure_asks_a_constant_number_of_queries(
    problems, changes, by, django_assert_max_num_queries
):
    query = Query(start=JAN, end=FEB, time_zone="Asia/Shanghai", scope=Scope(everything=True), by=by)
    found = [item for item in measures() if str(item.section) in PROCESS]

    assert {item.key for item in found} == {
        "problems",
        "known_errors",
        "problem_incidents",
        "deflection",
        "change_success",
        "change_types",
        "changes_causing_incidents",
        "release_delivery",
    }
    for item in found:
        with django_assert_max_num_queries(5):
            result = item.compute(query)
        assert result.as_dict()["columns"]
