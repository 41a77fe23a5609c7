"""Rolling back a release: the waves' CIs restored from the baseline, the others kept."""

import pytest
from django.core.exceptions import ValidationError

from cmdb.models import ConfigurationItem
from cmdb.services.baselines import baseline_take
from cmdb.services.items import ci_update
from releases import workflow as wf
from releases.models import DeploymentTask, Release, Wave
from releases.services.rollback import release_rollback
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import AuditEvent

from .conftest import planned_wave

pytestmark = pytest.mark.django_db


def _versions(cis) -> dict[str, str]:
    return dict(ConfigurationItem.objects.filter(pk__in=[ci.pk for ci in cis]).values_list("name", "version"))


def deployed_in_waves(release, cis, *, status=wf.FAILED, baseline=True):
    """Three waves: the first two succeeded (2.0 on their CIs), the third failed half way (its first CI
    at 2.0, the second failed with 2.0-rc on it); the baseline at 1.0 from before."""
    if baseline:
        taken = baseline_take(actor=None, name=f"{release.number} at approval", cis=cis)
        Release.objects.filter(pk=release.pk).update(baseline=taken)
    waves = [
        planned_wave(release, 1, cis[:1]),
        planned_wave(release, 2, cis[1:2]),
        planned_wave(release, 3, cis[2:]),
    ]
    for ci in cis[:3]:
        ci_update(ci=ci, actor=None, version="2.0", attributes={"release": "2.0"}, via="test")
    ci_update(ci=cis[3], actor=None, version="2.0-rc", via="test")
    Wave.objects.filter(pk__in=[waves[0].pk, waves[1].pk]).update(status=Wave.Status.SUCCEEDED)
    Wave.objects.filter(pk=waves[2].pk).update(status=Wave.Status.FAILED)
    DeploymentTask.objects.filter(release=release).update(status=DeploymentTask.Status.SUCCEEDED)
    DeploymentTask.objects.filter(ci=cis[3]).update(status=DeploymentTask.Status.FAILED)
    Release.objects.filter(pk=release.pk).update(status=status)
    release.refresh_from_db()
    return waves


def test_rolling_back_the_failed_wave_restores_its_cis_and_keeps_the_others(
    release, release_manager, app_servers
):
    waves = deployed_in_waves(release, app_servers)

    record = release_rollback(
        release=release, actor=release_manager, reason="Checkout errors in wave 3.", waves=[waves[2].pk]
    )

    assert record.status == wf.ROLLED_BACK
    assert record.rollback_extent == Release.RollbackExtent.PARTIAL
    assert record.rollback_reason == "Checkout errors in wave 3."
    assert _versions(app_servers) == {"app-01": "2.0", "app-02": "2.0", "app-03": "1.0", "app-04": "1.0"}
    restored = ConfigurationItem.objects.get(pk=app_servers[2].pk)
    assert restored.attributes == {}
    history = restored.history.order_by("-history_id").first()
    assert history.history_change_reason == f"release:{release.number}"
    assert history.history_user is None  # the system, for a release manager who does not keep the CMDB
    statuses = dict(Wave.objects.filter(release=release).values_list("position", "status"))
    assert statuses == {1: "succeeded", 2: "succeeded", 3: "rolled_back"}
    wave = Wave.objects.get(pk=waves[2].pk)
    assert wave.rolled_back_by == release_manager
    assert wave.rolled_back_at is not None
    tasks = DeploymentTask.objects.filter(wave=waves[2])
    assert {t.status for t in tasks} == {"rolled_back"}
    assert all(t.restored_at is not None for t in tasks)
    assert set(DeploymentTask.objects.filter(wave__in=waves[:2]).values_list("status", flat=True)) == {
        "succeeded"
    }
    event = AuditEvent.objects.get(action="release.roll_back")
    assert event.data["waves"] == [waves[2].pk]
    assert event.data["extent"] == "partial"
    assert event.data["by"] == release_manager.pk


def test_rolling_back_every_wave_that_ran_is_a_full_rollback(release, release_manager, app_servers):
    deployed_in_waves(release, app_servers)

    record = release_rollback(release=release, actor=release_manager, reason="Abandon 2.0.")

    assert record.rollback_extent == Release.RollbackExtent.FULL
    assert set(_versions(app_servers).values()) == {"1.0"}
    assert set(Wave.objects.filter(release=release).values_list("status", flat=True)) == {"rolled_back"}
    assert AuditEvent.objects.get(action="release.roll_back").data["extent"] == "full"


def test_rolling_back_the_rest_after_a_partial_rollback_makes_it_full(release, release_manager, app_servers):
    waves = deployed_in_waves(release, app_servers)
    release_rollback(release=release, actor=release_manager, reason="Wave 3.", waves=[waves[2]])

    record = release_rollback(release=release, actor=release_manager, reason="All of it.")

    assert record.rollback_extent == Release.RollbackExtent.FULL
    assert set(_versions(app_servers).values()) == {"1.0"}


def test_a_running_wave_rolls_back_while_the_release_deploys(release, release_manager, app_servers):
    waves = deployed_in_waves(release, app_servers, status=wf.DEPLOYING)
    Wave.objects.filter(pk=waves[2].pk).update(status=Wave.Status.RUNNING)

    record = release_rollback(release=release, actor=release_manager, reason="Stop.", waves=[waves[2].pk])

    assert record.status == wf.ROLLED_BACK
    assert record.rollback_extent == "partial"


@pytest.mark.parametrize("status", [wf.PLANNING, wf.TESTING, wf.APPROVED, wf.CLOSED])
def test_a_release_that_has_not_deployed_is_not_rolled_back(release, release_manager, app_servers, status):
    deployed_in_waves(release, app_servers, status=status)

    with pytest.raises(Conflict) as raised:
        release_rollback(release=release, actor=release_manager, reason="No.")

    assert raised.value.code == "not_rollbackable"
    assert _versions(app_servers)["app-01"] == "2.0"


def test_a_release_without_a_baseline_is_not_rolled_back(release, release_manager, app_servers):
    deployed_in_waves(release, app_servers, baseline=False)

    with pytest.raises(Conflict) as raised:
        release_rollback(release=release, actor=release_manager, reason="No baseline.")

    assert raised.value.code == "no_baseline"


def test_a_wave_that_did_not_run_is_not_rolled_back(release, release_manager, app_servers):
    waves = deployed_in_waves(release, app_servers)
    Wave.objects.filter(pk=waves[2].pk).update(status=Wave.Status.PENDING)

    with pytest.raises(Conflict) as raised:
        release_rollback(release=release, actor=release_manager, reason="x", waves=[waves[2].pk])

    assert raised.value.code == "wave_not_rollbackable"


def test_a_wave_of_another_release_is_a_field_error(release, release_manager, app_servers, agent):
    deployed_in_waves(release, app_servers)
    other = Release.objects.create(number="REL9999999", title="Other", release_version="1", requester=agent)
    foreign = Wave.objects.create(release=other, position=1, name="Theirs")

    with pytest.raises(ValidationError) as raised:
        release_rollback(release=release, actor=release_manager, reason="x", waves=[foreign.pk])

    assert "waves" in raised.value.message_dict
    assert Release.objects.get(pk=release.pk).status == wf.FAILED


def test_a_rollback_needs_its_reason(release, release_manager, app_servers):
    deployed_in_waves(release, app_servers)

    with pytest.raises(ValidationError) as raised:
        release_rollback(release=release, actor=release_manager, reason="  ")

    assert "reason" in raised.value.message_dict


def test_only_a_release_manager_rolls_back(release, test_lead, app_servers):
    deployed_in_waves(release, app_servers)

    with pytest.raises(PermissionDenied):
        release_rollback(release=release, actor=test_lead, reason="I would.")

    assert _versions(app_servers)["app-03"] == "2.0"


# The release page's rollback card and form.


def page(release) -> str:
    return f"/records/{release.number}/"


def submit(release) -> str:
    return f"/desk/releases/{release.number}/rollback/"


def test_the_page_offers_a_release_manager_the_waves_that_ran(
    client, release, release_manager, app_servers, django_assert_max_num_queries
):
    waves = deployed_in_waves(release, app_servers)
    Wave.objects.filter(pk=waves[0].pk).update(status=Wave.Status.PENDING)
    client.force_login(release_manager)

    with django_assert_max_num_queries(40):
        response = client.get(page(release))

    assert response.status_code == 200
    form = response.context["rollback_form"]
    assert [wave.pk for wave in form.fields["waves"].queryset] == [waves[1].pk, waves[2].pk]
    assert 'data-testid="rollback-form"' in response.content.decode()


def test_the_page_reads_the_same_statements_whatever_the_number_of_waves(
    client, release, release_manager, app_servers
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deployed_in_waves(release, app_servers)
    client.force_login(release_manager)
    client.get(page(release))
    with CaptureQueriesContext(connection) as three:
        client.get(page(release))
    for position in range(4, 10):
        Wave.objects.create(release=release, position=position, name=f"W{position}", status="succeeded")
    with CaptureQueriesContext(connection) as nine:
        client.get(page(release))

    assert len(nine.captured_queries) == len(three.captured_queries)


def test_who_may_not_roll_back_sees_no_form_but_the_past_rollback(
    client, release, release_manager, test_lead, app_servers
):
    deployed_in_waves(release, app_servers)
    client.force_login(test_lead)
    assert 'data-testid="rollback-panel"' not in client.get(page(release)).content.decode()
    release_rollback(release=release, actor=release_manager, reason="Broken checkout.")

    content = client.get(page(release)).content.decode()

    assert 'data-testid="rollback-past"' in content
    assert "Broken checkout." in content
    assert 'data-testid="rollback-form"' not in content


def test_posting_the_form_rolls_the_chosen_waves_back(client, release, release_manager, app_servers):
    waves = deployed_in_waves(release, app_servers)
    client.force_login(release_manager)

    response = client.post(
        submit(release), {"version": release.version, "reason": "Wave 3.", "waves": [waves[2].pk]}
    )

    assert response.status_code == 302
    assert Release.objects.get(pk=release.pk).rollback_extent == "partial"
    assert _versions(app_servers)["app-03"] == "1.0"


def test_the_form_answers_400_403_409_and_412(client, release, release_manager, test_lead, app_servers):
    waves = deployed_in_waves(release, app_servers)
    client.force_login(release_manager)
    posted = {"version": release.version, "reason": "x", "waves": [waves[2].pk]}

    assert client.post(submit(release), {**posted, "reason": ""}).status_code == 400
    assert client.post(submit(release), {**posted, "version": release.version - 1}).status_code == 412
    client.force_login(test_lead)
    assert client.post(submit(release), posted).status_code == 403
    Release.objects.filter(pk=release.pk).update(status=wf.TESTING)
    client.force_login(release_manager)
    refused = client.post(submit(release), posted)
    assert refused.status_code == 409
    assert 'data-testid="rollback-error"' in refused.content.decode()
    assert Release.objects.get(pk=release.pk).rollback_extent == ""


def test_the_bench_scenario_times_a_wave_and_its_rollback_and_leaves_nothing_behind(db):
    from itsm.bench.releases import release_wave

    row = release_wave(count=40)

    assert row["cis"] == 40
    assert row["updated"] == 40  # every CI moved to the package's version through the reports
    assert row["wave_update_seconds"] >= 0
    assert row["restored"] == 40
    assert row["rollback_seconds"] >= 0
    assert not Release.objects.filter(title="Bench release").exists()
