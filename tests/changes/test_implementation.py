"""Implementation side effects (issue 16, item 6): the CIs in maintenance and back, with their history
naming the change; incidents raised on those CIs while it runs linked as possibly caused by it (the
listener on the incidents' "created"), and only those."""

import pytest

from changes import workflow as wf
from changes.links import CHANGE_CAUSED
from changes.models import Change
from changes.services.implementation import caused_incidents_link, incidents_in_window
from cmdb.models import ConfigurationItem
from incidents import services as incident_services
from incidents.models import Incident
from servicedesk.models import RecordLink
from servicedesk.records.transitions import record_transition

from ..cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(change):
    Change.objects.filter(pk=change.pk).update(status=wf.SCHEDULED)
    change.refresh_from_db()
    return change


def _caused(change) -> set[str]:
    ids = RecordLink.objects.filter(link_type=CHANGE_CAUSED, source_id=change.pk).values_list(
        "target_id", flat=True
    )
    return set(Incident.objects.filter(pk__in=ids).values_list("number", flat=True))


def test_the_cis_go_in_maintenance_via_the_change_and_come_back(scheduled, agent, server):
    other = CIFactory(name="already-down", status="in_maintenance")
    scheduled.affected_cis.add(other)
    change = record_transition(record=scheduled, actor=agent, to=wf.IMPLEMENTING)
    server.refresh_from_db()
    assert server.status == "in_maintenance"
    assert change.maintenance_cis == [server.pk]  # not the CI that was in maintenance already
    assert server.history.first().history_change_reason == f"change:{change.number}"
    record_transition(record=change, actor=agent, to=wf.FAILED, reason="Did not start")
    server.refresh_from_db()
    assert server.status == "in_production"
    assert server.history.first().history_change_reason == f"change:{change.number}"
    assert ConfigurationItem.objects.get(pk=other.pk).status == "in_maintenance"


def test_an_incident_raised_on_a_ci_being_changed_is_linked_to_the_change(
    scheduled, agent, requester, server
):
    elsewhere = CIFactory(name="unrelated", status="in_production")
    before = incident_services.incident_create(
        actor=agent, requester=requester, title="Slow before", affected_cis=[server]
    )
    change = record_transition(record=scheduled, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    during = incident_services.incident_create(actor=agent, requester=requester, title="Payroll down",
                                               affected_cis=[server])  # fmt: skip
    unrelated = incident_services.incident_create(actor=agent, requester=requester, title="Printer",
                                                  affected_cis=[elsewhere])  # fmt: skip
    assert _caused(change) == {during.number}
    assert set(incidents_in_window(change)) == {during}
    change = record_transition(record=change, actor=agent, to=wf.REVIEW)
    after = incident_services.incident_create(
        actor=agent, requester=requester, title="Slow after", affected_cis=[server]
    )
    assert caused_incidents_link(change=change) == 0  # linked once, as it happened
    assert {before.number, unrelated.number, after.number}.isdisjoint(_caused(change))


def test_the_window_s_incidents_are_linked_at_its_end_when_they_were_missed(
    scheduled, agent, requester, server
):
    change = record_transition(record=scheduled, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    during = incident_services.incident_create(
        actor=agent, requester=requester, title="Payroll down", affected_cis=[server]
    )
    RecordLink.objects.filter(link_type=CHANGE_CAUSED).delete()  # as if raised before the listener existed
    record_transition(record=change, actor=agent, to=wf.REVIEW)
    assert _caused(change) == {during.number}
