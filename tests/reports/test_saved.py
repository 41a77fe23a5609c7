import pytest

from reports.models import SavedReport

from .people_and_facts import desk

pytestmark = pytest.mark.django_db

QUERY = "period=last_month&by=group"


@pytest.fixture
def people():
    return desk()


def save(client, name, query=QUERY, measure="volumes"):
    return client.post(f"/reports/measures/{measure}/save/", {"name": name, "query": query})


def test_a_saved_report_opens_the_report_page_with_its_query(client, people):
    client.force_login(people["carol"])

    response = save(client, "Monthly volumes by group")

    report = SavedReport.objects.get()
    assert (report.owner, report.name, report.measure, report.query) == (
        people["carol"],
        "Monthly volumes by group",
        "volumes",
        QUERY,
    )
    assert response.status_code == 302
    assert response.url == f"/reports/saved/{report.pk}/"
    opened = client.get(response.url)
    assert opened.status_code == 302
    assert opened.url == f"/reports/measures/volumes/?{QUERY}"
    assert client.get(opened.url).status_code == 200


def test_a_duplicate_name_is_a_clear_form_error(client, people):
    client.force_login(people["carol"])
    save(client, "Weekly")

    response = save(client, "Weekly", query="period=last_7_days")

    assert response.status_code == 400
    assert "You already have a report named “Weekly”." in response.content.decode()
    assert SavedReport.objects.count() == 1


def test_two_people_may_use_the_same_name(client, people):
    for user in (people["carol"], people["dave"]):
        client.force_login(user)
        assert save(client, "Weekly").status_code == 302
    assert SavedReport.objects.count() == 2


def test_my_reports_lists_only_mine_and_renames_and_deletes(client, people, django_assert_max_num_queries):
    client.force_login(people["carol"])
    save(client, "B volumes")
    save(client, "A ageing", measure="backlog_ageing", query="")
    SavedReport.objects.create(owner=people["dave"], name="Dave's", measure="volumes")
    mine = SavedReport.objects.get(name="B volumes")

    with django_assert_max_num_queries(10):
        page = client.get("/reports/saved/")
    html = page.content.decode()
    assert html.index("A ageing") < html.index("B volumes")
    assert "Dave&#x27;s" not in html
    assert "Dave's" not in html

    assert (
        client.post(f"/reports/saved/{mine.pk}/rename/", {f"r{mine.pk}-name": "A ageing"}).status_code == 400
    )
    response = client.post(f"/reports/saved/{mine.pk}/rename/", {f"r{mine.pk}-name": "C volumes"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "C volumes"

    assert client.post(f"/reports/saved/{mine.pk}/delete/").status_code == 302
    assert list(SavedReport.objects.filter(owner=people["carol"]).values_list("name", flat=True)) == [
        "A ageing"
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/reports/saved/{pk}/"),
        ("post", "/reports/saved/{pk}/rename/"),
        ("post", "/reports/saved/{pk}/delete/"),
        ("get", "/reports/saved/{pk}/schedules/new/"),
    ],
)
def test_an_agent_cannot_open_carols_report(client, people, method, path):
    report = SavedReport.objects.create(owner=people["carol"], name="Carol's", measure="volumes", query=QUERY)
    client.force_login(people["dave"])

    response = getattr(client, method)(path.format(pk=report.pk), {f"r{report.pk}-name": "Mine now"})

    assert response.status_code == 404
    report.refresh_from_db()
    assert report.name == "Carol's"


def test_a_requester_has_no_reports(client, requester):
    client.force_login(requester)
    assert client.get("/reports/saved/").status_code == 404
    assert client.post("/reports/measures/volumes/save/", {"name": "x"}).status_code == 404


def test_the_report_page_offers_to_save_it(client, people):
    client.force_login(people["carol"])

    page = client.get(f"/reports/measures/volumes/?{QUERY}").content.decode()

    assert 'action="/reports/measures/volumes/save/"' in page
    assert f'value="{QUERY.replace("&", "&amp;")}"' in page
