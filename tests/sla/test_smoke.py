from datetime import timedelta

import time_machine
from django.utils import timezone

from incidents import services
from servicedesk.models import SLAClock
from servicedesk.sla.sweep import sla_sweep


def test_clocks_start_and_sweep_warns(policy, requester, service):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        record = services.incident_create(actor=requester, title="Down", service=service)
    clocks = {c.metric: c for c in SLAClock.objects.all()}
    assert clocks["response"].due_at == start + timedelta(hours=1)
    record.refresh_from_db()
    assert record.sla_due_at == start + timedelta(hours=1)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert sla_sweep() == 1
    response = SLAClock.objects.get(metric="response")
    assert response.warned_at is not None
    assert response.next_check_at == start + timedelta(minutes=45)
