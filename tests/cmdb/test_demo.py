from io import StringIO

import pytest
from django.core.management import call_command

from cmdb.demo import BASELINE, DISCOVERY_FILE, SERVICES, seed_cmdb_demo
from cmdb.models import Baseline, CIRelationship, ConfigurationItem, ImportJob
from cmdb.schemas import attribute_errors, effective_schema
from cmdb.services.baselines import baseline_diff
from servicedesk.models import AuditEvent


def _seed_demo():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts():
    return {
        "cis": ConfigurationItem.objects.count(),
        "relationships": CIRelationship.objects.count(),
        "ci history": ConfigurationItem.history.count(),
        "relationship history": CIRelationship.history.count(),
        "audit events": AuditEvent.objects.count(),
    }


def _hosted_services(hostname):
    """Business services reached upwards from a server through runs on / depends on (in Python)."""
    edges = list(
        CIRelationship.objects.filter(type__code__in=["runs_on", "depends_on"]).values_list(
            "source", "target"
        )
    )
    hit, frontier = set(), {ConfigurationItem.objects.get(hostname=hostname).pk}
    while frontier:
        frontier = {source for source, target in edges if target in frontier} - hit
        hit |= frontier
    return set(
        ConfigurationItem.objects.filter(pk__in=hit, ci_class__code="business_service").values_list(
            "name", flat=True
        )
    )


@pytest.fixture
def seeded(db):
    return _seed_demo()


def test_seed_demo_creates_the_business_services_with_owners_and_groups(seeded):
    services = ConfigurationItem.objects.filter(ci_class__code="business_service").select_related(
        "owner", "support_group"
    )

    assert {s.name: (s.owner.username, s.support_group.name) for s in services} == {
        name: (owner, group) for name, owner, group, *_rest in SERVICES
    }
    assert len(SERVICES) == 13  # twelve real services and the SLA stopwatch
    assert "CMDB demo estate ready" in seeded


def test_seed_demo_creates_the_estate_under_the_services(seeded):
    by_class = {
        code: ConfigurationItem.objects.filter(ci_class__code=code).count()
        for code in ["application", "database", "server", "network_device", "location"]
    }

    assert by_class["location"] == 2
    assert min(by_class.values()) >= 2
    assert by_class["server"] >= 10
    assert set(
        ConfigurationItem.objects.filter(ci_class__code="network_device").values_list(
            "attributes__device_type", flat=True
        )
    ) >= {"switch", "firewall", "load_balancer"}
    types = set(CIRelationship.objects.values_list("type__code", flat=True))
    assert types == {"depends_on", "runs_on", "connected_to", "contains"}
    in_production = ConfigurationItem.objects.filter(status="in_production").count()
    assert in_production > ConfigurationItem.objects.count() * 0.8


def test_every_demo_ci_has_attributes_its_class_accepts_and_servers_sit_in_a_location(seeded):
    for ci in ConfigurationItem.objects.select_related("ci_class"):
        assert attribute_errors(effective_schema(ci.ci_class), ci.attributes) == {}, ci.name
    assert not ConfigurationItem.objects.filter(ci_class__code="server", location=None).exists()


def test_a_database_server_failing_hits_several_business_services(seeded):
    assert _hosted_services("lon-db-01") >= {"Payroll", "HR portal", "Web shop", "Service desk"}
    assert len(_hosted_services("lon-idp-01")) >= 8  # single sign-on runs there


def test_running_seed_demo_twice_creates_nothing_more_in_the_cmdb(seeded):
    before = _counts()

    output = _seed_demo()

    assert _counts() == before
    assert "CMDB demo estate ready (0 new CIs, 0 new relationships)." in output


def test_the_cmdb_seeder_writes_the_estate_as_the_system_and_the_import_as_heidi(seeded):
    job = ImportJob.objects.get(filename=DISCOVERY_FILE)
    # The releases demo deploys through the CMDB on behalf of bob's pipeline ("via release:REL…").
    by_people = (
        AuditEvent.objects.filter(action__startswith="ci.")
        .exclude(actor=None)
        .exclude(data__via__startswith="release:")
    )

    assert set(by_people.values_list("actor__username", flat=True)) == {"heidi"}
    imported = {str(pk) for pk in job.rows.exclude(object_id=None).values_list("object_id", flat=True)}
    assert set(by_people.values_list("object_id", flat=True)) <= imported
    reasons = set(ConfigurationItem.history.values_list("history_change_reason", flat=True))
    # The changes demo implements changes, putting their CIs in maintenance through the CMDB: "change:CHG…".
    by_changes = {reason for reason in reasons if reason.startswith("change:CHG")}
    # The releases demo deploys and rolls back: "release:REL…".
    by_releases = {reason for reason in reasons if reason.startswith("release:REL")}
    assert by_releases
    assert reasons - by_changes - by_releases == {"system", f"import:{job.pk}"}


def test_the_demo_has_a_baseline_whose_diff_shows_what_the_import_changed(seeded):
    baseline = Baseline.objects.get(name=BASELINE)
    job = ImportJob.objects.get(filename=DISCOVERY_FILE)

    diff = baseline_diff(baseline=baseline)

    assert baseline.taken_by.username == "heidi"
    assert (job.status, job.created, job.updated, job.unchanged, job.rejected) == ("finished", 1, 1, 1, 1)
    assert "lon-web-01" in {entry["name"] for entry in diff["changed"]}


def test_the_cmdb_seeder_alone_works_without_the_demo_users(db):
    out = StringIO()

    seed_cmdb_demo(out)

    assert ConfigurationItem.objects.get(name="E-mail").owner is None
    assert "new CIs" in out.getvalue()
