"""The notification centre's pages: the bell on every page, its panel, opening one, the list, the API."""

import re

import pytest
from django.db import transaction

from servicedesk.models import InAppNotification, NotificationOptOut
from servicedesk.notifications import standard as events
from servicedesk.services.notifications import notify
from tests.kernelkind.services import chore_create

from ..factories import UserFactory

BADGE = re.compile(r'data-testid="bell-count" data-unread="(\d+)"')


@pytest.fixture
def record(worker, requester):
    created = chore_create(actor=worker, requester=requester, title="Printer on floor 3 jams")
    InAppNotification.objects.all().delete()
    return created


def tell(user, record, count=1, event=events.RESOLVED):
    with transaction.atomic():
        for _ in range(count):
            notify(event=event, record=record, recipients=[user])


def unread_on(html: str) -> int:
    return int(BADGE.search(html).group(1))


# The bell


@pytest.mark.parametrize("count", [0, 30])
def test_the_bell_costs_one_query_on_a_page_whatever_the_count(
    client, requester, record, count, django_assert_max_num_queries
):
    client.force_login(requester)
    client.get("/profile/")  # warm the session and caches
    with django_assert_max_num_queries(30) as captured:
        baseline = client.get("/profile/")
    tell(requester, record, count)

    with django_assert_max_num_queries(len(captured.captured_queries)):
        response = client.get("/profile/")

    assert unread_on(response.content.decode()) == count
    assert unread_on(baseline.content.decode()) == 0
    bell_queries = [q for q in captured.captured_queries if "inappnotification" in q["sql"]]
    assert len(bell_queries) == 1


def test_the_bell_says_99_plus_past_its_cap(client, requester, record):
    tell(requester, record, 100)
    client.force_login(requester)

    html = client.get("/notifications/count/").content.decode()

    assert "99+" in html
    assert unread_on(html) == 100


def test_the_panel_lists_the_latest_of_mine_only(client, requester, worker, record):
    tell(requester, record, 10)
    tell(worker, record, 1, event=events.SLA_WARNING)
    client.force_login(requester)

    html = client.get("/notifications/panel/").content.decode()

    assert html.count('data-testid="notification"') == 8
    assert "Resolved" in html
    assert "TST0000001" in html
    assert "Close to its SLA target" not in html


def test_opening_a_notification_marks_it_read_and_goes_to_the_record(client, requester, record):
    tell(requester, record, 2)
    first = InAppNotification.objects.filter(user=requester).first()
    client.force_login(requester)

    response = client.get(f"/notifications/{first.pk}/open/")

    assert response.status_code == 302
    assert response.url == "/records/TST0000001/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert unread_on(client.get("/notifications/count/").content.decode()) == 1


def test_someone_elses_notification_is_not_opened_nor_marked(client, requester, other_requester, record):
    tell(requester, record)
    theirs = InAppNotification.objects.get(user=requester)
    client.force_login(other_requester)

    response = client.get(f"/notifications/{theirs.pk}/open/")

    assert response.url == "/notifications/"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_to_another_site_is_never_followed(client, requester, record):
    tell(requester, record)
    InAppNotification.objects.update(url="https://evil.example/")
    client.force_login(requester)

    response = client.get(f"/notifications/{InAppNotification.objects.get().pk}/open/")

    assert response.url == "/notifications/"


def test_mark_all_read_from_the_panel_answers_the_panel_and_a_zero_count(client, requester, record):
    tell(requester, record, 3)
    client.force_login(requester)

    response = client.post("/notifications/read-all/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in html
    assert unread_on(html) == 0
    assert 'data-unread="1"' not in html
    assert not InAppNotification.objects.filter(read_at__isnull=True).exists()


def test_mark_all_read_is_a_post(client, requester):
    client.force_login(requester)

    assert client.get("/notifications/read-all/").status_code == 405


@pytest.mark.parametrize("path", ["/notifications/", "/notifications/panel/", "/notifications/count/"])
def test_the_centre_is_for_people_signed_in(client, path, db):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


# The list page


def test_the_list_pages_25_at_a_time_and_filters_the_unread(
    client, requester, record, django_assert_max_num_queries
):
    tell(requester, record, 30)
    InAppNotification.objects.filter(pk__in=InAppNotification.objects.order_by("id")[:5].values("id")).update(
        read_at="2026-01-01T00:00:00Z"
    )
    client.force_login(requester)

    with django_assert_max_num_queries(16):
        first = client.get("/notifications/").content.decode()
    second = client.get("/notifications/?page=2").content.decode()
    unread = client.get("/notifications/?unread=1").content.decode()

    assert first.count('data-testid="notification"') == 25
    assert second.count('data-testid="notification"') == 5
    assert unread.count('data-unread="1"') == 25
    assert 'data-unread="0"' not in unread
    assert "page=2" not in unread  # the 25 unread fit on one page


def test_mark_all_read_on_the_list_page_comes_back_to_it(client, requester, record):
    tell(requester, record, 2)
    client.force_login(requester)

    response = client.post("/notifications/read-all/", {"unread": "1"})

    assert response.url == "/notifications/?unread=1"
    assert "You have read everything." in client.get(response.url).content.decode()


# Preferences


def test_the_preferences_page_has_a_checkbox_per_event_and_channel(client, requester):
    NotificationOptOut.objects.create(user=requester, event="resolved", channel="in_app")
    client.force_login(requester)

    html = client.get("/profile/notifications/").content.decode()

    assert 'name="email" value="resolved" id="id_email_resolved"' in html
    assert re.search(r'name="in_app" value="resolved" id="id_in_app_resolved"[^>]*>', html)
    assert "checked" not in re.search(r'name="in_app" value="resolved"[^>]*>', html).group(0)
    assert "checked" in re.search(r'name="email" value="resolved"[^>]*>', html).group(0)


def test_turning_an_event_off_in_the_app_on_the_page_keeps_its_e_mail(client, requester):
    client.force_login(requester)
    page = client.get("/profile/notifications/")
    every = [code for code, _ in page.context["form"]["email"].field.choices]

    client.post("/profile/notifications/", {"email": every, "in_app": [e for e in every if e != "commented"]})

    assert list(NotificationOptOut.objects.filter(user=requester).values_list("event", "channel")) == [
        ("commented", "in_app")
    ]


# The API


def test_the_api_lists_my_notifications_and_filters_the_unread(api_as, requester, record):
    tell(requester, record, 3)
    InAppNotification.objects.filter(pk=InAppNotification.objects.order_by("id").first().pk).update(
        read_at="2026-01-01T00:00:00Z"
    )
    client = api_as(requester)

    everything = client.get("/api/v1/notifications/").json()["results"]
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]

    assert len(everything) == 3
    assert len(unread) == 2
    assert everything[0]["headline"] == "Resolved"
    assert everything[0]["url"] == "/records/TST0000001/"
    assert {row["is_read"] for row in unread} == {False}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2, "is_capped": False}


def test_the_api_marks_one_and_all_read(api_as, requester, record):
    tell(requester, record, 3)
    client = api_as(requester)
    first = InAppNotification.objects.filter(user=requester).first()

    one = client.post(f"/api/v1/notifications/{first.pk}/read/")
    rest = client.post("/api/v1/notifications/read-all/")

    assert one.status_code == 200
    assert one.json()["is_read"] is True
    assert rest.json() == {"marked": 2}


def test_the_api_never_shows_another_persons_notification(api_as, requester, record):
    tell(requester, record)
    theirs = InAppNotification.objects.get()
    stranger = UserFactory()
    client = api_as(stranger)

    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get("/api/v1/notifications/").json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None
