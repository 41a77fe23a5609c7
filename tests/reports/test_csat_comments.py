"""The satisfaction report shows what requesters wrote, newest first, within the reader's scope."""

import pytest

from servicedesk.reporting.measures import Scope

from .conftest import ask, at, refresh

pytestmark = pytest.mark.django_db

JAN, FEB = at(2026, 1, 1), at(2026, 2, 1)


def test_the_latest_comments_come_with_their_rating_and_record(desk, second_line):
    praised = desk.file(at(2026, 1, 5, 10))
    desk.resolve(at(2026, 1, 5, 11), praised)
    desk.rate(at(2026, 1, 6, 9), praised, 5, "Quick and <b>friendly</b>.")
    silent = desk.file(at(2026, 1, 7, 10))
    desk.resolve(at(2026, 1, 7, 11), silent)
    desk.rate(at(2026, 1, 8, 9), silent, 2)
    elsewhere = desk.file(at(2026, 1, 9, 10), group=second_line)
    desk.resolve(at(2026, 1, 9, 11), elsewhere)
    desk.rate(at(2026, 1, 10, 9), elsewhere, 1, "Slow.")
    refresh(praised, silent, elsewhere)

    everything = ask("csat", JAN, FEB, bucket="month")
    mine = ask("csat", JAN, FEB, bucket="month", scope=Scope(groups=(praised.support_group_id,)))

    assert [(n.number, n.rating, n.text) for n in everything.notes] == [
        (elsewhere.number, 1, "Slow."),
        (praised.number, 5, "Quick and <b>friendly</b>."),
    ]
    assert everything.notes[0].url == f"/records/{elsewhere.number}/"
    assert [n.number for n in mine.notes] == [praised.number]


def test_the_report_page_shows_the_words_escaped(client, administrator, desk):
    record = desk.file(at(2026, 1, 5, 10))
    desk.resolve(at(2026, 1, 5, 11), record)
    desk.rate(at(2026, 1, 6, 9), record, 4, "<script>alert(1)</script> fine")
    refresh(record)
    client.force_login(administrator)

    page = client.get(
        "/reports/measures/csat/", {"period": "custom", "start": "2026-01-01", "end": "2026-01-31"}
    )

    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="report-note"' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fine" in body
    assert "<script>alert(1)" not in body
