"""Incidents raised on a release's CIs during a wave (or within the hour after it) are linked to the
release as possibly caused by it; others are not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services as incident_services
from releases import workflow as wf
from releases.links import RELEASE_CAUSED
from releases.models import Release, Wave
from releases.services.incidents import releases_deploying_to
from servicedesk.models import RecordLink

from .conftest import planned_wave

pytestmark = pytest.mark.django_db


def _caused(release) -> set[int]:
    return set(
        RecordLink.objects.filter(link_type=RELEASE_CAUSED, source_id=release.pk).values_list(
            "target_id", flat=True
        )
    )


def _raise(agent, requester, ci):
    return incident_services.incident_create(
        actor=agent, requester=requester, title="Shop down", affected_cis=[ci]
    )


@pytest.fixture
def deploying(release, app_servers):
    Release.objects.filter(pk=release.pk).update(status=wf.DEPLOYING)
    first = planned_wave(release, 1, app_servers[:2])
    second = planned_wave(release, 2, app_servers[2:])
    return release, first, second


def test_an_incident_on_a_ci_of_a_running_wave_is_linked(deploying, agent, requester, app_servers):
    release, first, _second = deploying
    Wave.objects.filter(pk=first.pk).update(status=Wave.Status.RUNNING)

    during = _raise(agent, requester, app_servers[0])
    pending = _raise(agent, requester, app_servers[2])

    assert _caused(release) == {during.pk}
    assert pending.pk not in _caused(release)


def test_an_incident_within_the_hour_after_a_wave_is_linked_and_later_not(
    deploying, agent, requester, app_servers
):
    release, first, _second = deploying
    Wave.objects.filter(pk=first.pk).update(
        status=Wave.Status.SUCCEEDED, finished_at=timezone.now() - timedelta(minutes=30)
    )
    soon = _raise(agent, requester, app_servers[0])
    Wave.objects.filter(pk=first.pk).update(finished_at=timezone.now() - timedelta(hours=2))
    late = _raise(agent, requester, app_servers[1])

    assert _caused(release) == {soon.pk}
    assert late.pk not in _caused(release)


def test_a_running_wave_of_a_release_no_longer_deploying_links_nothing(
    deploying, agent, requester, app_servers
):
    release, first, _second = deploying
    Wave.objects.filter(pk=first.pk).update(status=Wave.Status.RUNNING)
    Release.objects.filter(pk=release.pk).update(status=wf.CLOSED)

    _raise(agent, requester, app_servers[0])

    assert _caused(release) == set()


def test_finding_the_releases_is_one_statement(deploying, app_servers, django_assert_num_queries):
    release, first, _second = deploying
    Wave.objects.filter(pk=first.pk).update(status=Wave.Status.RUNNING)

    with django_assert_num_queries(1):
        assert list(releases_deploying_to([ci.pk for ci in app_servers])) == [release]
