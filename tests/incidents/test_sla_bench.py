"""The benchmark command's bookkeeping (never its timings): it sweeps exactly the clocks it made due."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from servicedesk.models import SLAClock, SLAFiring

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark needs PostgreSQL")


def _bench(*args):
    out = StringIO()
    call_command("sla_bench", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_bench_sweeps_exactly_the_due_clocks():
    output = _bench("--running", "200", "--due", "20", "--calls", "50", "--force")

    assert "due before: 20; checked: 20; still due after: 0" in output
    assert "bench clocks changed: 20 (warned 20, firings 20); untouched: 180" in output
    assert "exactly the due clocks were checked, and no other: yes" in output
    assert "uses the partial index sla_clock_due_idx" in output
    assert "add():" in output
    assert "between():" in output
    assert SLAClock.objects.filter(state="running").count() == 200
    assert SLAClock.objects.exclude(warned_at=None).count() == 20
    assert set(SLAFiring.objects.values_list("threshold", flat=True)) == {"warning:50"}


@pytest.mark.django_db
def test_a_second_run_reuses_the_data_and_sweeps_the_same_clocks_again():
    _bench("--running", "200", "--due", "20", "--calls", "50", "--force")

    output = _bench("--running", "200", "--due", "30", "--calls", "50", "--force")

    assert "Reusing 200 bench incidents and clocks" in output
    assert "due before: 30; checked: 30; still due after: 0" in output
    assert SLAFiring.objects.count() == 30


@pytest.mark.django_db
def test_the_bench_refuses_a_database_not_named_for_it():
    with pytest.raises(CommandError, match="ends in 'bench'"):
        _bench("--running", "10", "--due", "1")
