import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb.models import CIRelationship, ConfigurationItem, ImportJob
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER, REQUESTER

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

CIS_CSV = (
    "class,name,hostname,status,attr.cpu_count,attr.ip_address\n"
    "server,srv-01,srv-01.example.com,in_production,8,10.0.0.1\n"
    "server,srv-02,srv-02.example.com,,zero,\n"
    "application,CRM,,,,\n"
)
RELATIONSHIPS_CSV = (
    "type,source.class,source.name,target.hostname\nruns_on,application,CRM,srv-01.example.com\n"
)


@pytest.fixture
def manager(client):
    user = UserFactory(roles=[CONFIGURATION_MANAGER])
    client.force_login(user)
    return user


def _upload(client, kind, text, name="estate.csv"):
    return client.post(
        "/cmdb/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


def test_a_csv_upload_imports_and_shows_the_report_with_reasons(client, manager):
    response = _upload(client, "cis", CIS_CSV)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/cmdb/imports/{job.pk}/"
    page = client.get(response.url).content.decode()
    assert 'data-testid="created">2<' in page
    assert 'data-testid="rejected">1<' in page
    assert "attributes.cpu_count" in page
    server = ConfigurationItem.objects.get(hostname="srv-01.example.com")
    assert (server.status, server.attributes) == ("in_production", {"cpu_count": 8, "ip_address": "10.0.0.1"})
    assert job.filename == "estate.csv"
    assert job.source == "csv"


def test_the_same_file_twice_is_all_unchanged(client, manager):
    _upload(client, "cis", CIS_CSV)
    _upload(client, "cis", CIS_CSV)

    second = ImportJob.objects.order_by("-pk").first()
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 2, 1)


def test_relationships_upload(client, manager):
    _upload(client, "cis", CIS_CSV)

    _upload(client, "relationships", RELATIONSHIPS_CSV)

    relationship = CIRelationship.objects.get()
    assert (relationship.source.name, relationship.type.code, relationship.target.name) == (
        "CRM",
        "runs_on",
        "srv-01",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe\x00bad", "not UTF-8"), (b"", "is empty"), (b"class,name\n", "no rows")],
)
def test_unreadable_files_are_refused_on_the_form(client, manager, content, message):
    response = client.post(
        "/cmdb/import/",
        {"kind": "cis", "file": SimpleUploadedFile("x.csv", content, content_type="text/csv")},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_import_page_lists_recent_imports_by_file_name_or_source(client, manager):
    _upload(client, "cis", CIS_CSV)
    ImportJob.objects.create(kind="relationships", source="api", created_by=manager, total=3)

    response = client.get("/cmdb/import/")

    assert response.status_code == 200
    rows = response.content.decode().split('id="recent-heading"')[1]
    assert "estate.csv" in rows
    assert "API" in rows
    assert "Relationships" in rows


def test_a_running_import_refreshes_itself_with_htmx(client, manager):
    job = ImportJob.objects.create(kind="cis", source="api", created_by=manager, total=10, processed=4)

    page = client.get(f"/cmdb/imports/{job.pk}/").content.decode()
    partial = client.get(f"/cmdb/imports/{job.pk}/", headers={"HX-Request": "true"})

    assert 'hx-trigger="every 2s"' in page
    assert 'value="40"' in page
    assert "<html" not in partial.content.decode()
    assert "4 of 10 rows" in partial.content.decode()


def test_an_agent_may_not_import_and_a_requester_does_not_see_the_page(client):
    client.force_login(UserFactory(roles=[AGENT]))
    assert client.get("/cmdb/import/").status_code == 403
    client.force_login(UserFactory(roles=[REQUESTER]))
    assert client.get("/cmdb/import/").status_code == 404
    assert client.get("/cmdb/imports/1/").status_code == 404
