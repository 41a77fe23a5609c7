import csv
import io
from datetime import date

import openpyxl
import pytest
from django.utils.formats import date_format

from reports.exports import csv_chunks, export_bytes, sheet_of, xlsx_file
from servicedesk import roles
from servicedesk.reporting.measures import Column, Measure, Query, Result, Row, Scope

from ..factories import UserFactory
from .people_and_facts import at, desk

pytestmark = pytest.mark.django_db

THREE_DAYS = "period=custom&start=2026-03-02&end=2026-03-04&by=period&bucket=day"


def day(n: int) -> str:
    return date_format(date(2026, 3, n), "SHORT_DATE_FORMAT")


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_csv_export_has_the_managers_volumes_and_nothing_outside_their_groups(client):
    people = desk()
    client.force_login(people["carol"])

    response = client.get(f"/reports/measures/volumes/export.csv?{THREE_DAYS}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="volumes_2026-03-02_2026-03-04.csv"'
    # Network's record of 3 March is not carol's to see.
    assert read_csv(response) == [
        ["Period", "Opened", "Resolved"],
        [day(2), "2", "0"],
        [day(3), "0", "1"],
        [day(4), "0", "1"],
    ]


def test_an_administrator_exports_every_group(client):
    desk()
    client.force_login(UserFactory(roles=[roles.ADMINISTRATOR]))

    rows = read_csv(client.get(f"/reports/measures/volumes/export.csv?{THREE_DAYS}"))

    assert rows[1:] == [[day(2), "2", "0"], [day(3), "1", "1"], [day(4), "0", "1"]]


def test_an_agent_exports_only_their_own_work(client):
    people = desk()
    client.force_login(people["dave"])

    rows = read_csv(client.get(f"/reports/measures/volumes/export.csv?{THREE_DAYS}"))

    assert rows[1:] == [[day(2), "1", "0"], [day(3), "0", "1"], [day(4), "0", "0"]]


def test_the_xlsx_export_has_durations_in_hours(client, django_assert_max_num_queries):
    people = desk()
    client.force_login(people["carol"])

    # 16: the percentiles' statement runs with its own sort memory (a SET LOCAL before it).
    with django_assert_max_num_queries(16):
        response = client.get(f"/reports/measures/mttr/export.xlsx?{THREE_DAYS}")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mttr_2026-03-02_2026-03-04.xlsx"'
    rows = read_xlsx(b"".join(response.streaming_content))
    assert rows[0] == [
        "Period",
        "Records",
        "Median (business time) (hours)",
        "90th percentile (business time) (hours)",
        "Mean (business time) (hours)",
        "Median (elapsed) (hours)",
        "90th percentile (elapsed) (hours)",
        "Mean (elapsed) (hours)",
    ]
    # Resolved on 3 March: 10 business hours, 26 elapsed; on 4 March: 16 and 48. Nothing on 2 March.
    assert rows[1] == [day(2), 0, None, None, None, None, None, None]
    assert rows[2] == [day(3), 1, 10, 10, 10, 26, 26, 26]
    assert rows[3] == [day(4), 1, 16, 16, 16, 48, 48, 48]


def test_the_pdf_export_is_a_pdf(client):
    people = desk()
    client.force_login(people["carol"])

    response = client.get(f"/reports/measures/volumes/export.pdf?{THREE_DAYS}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_a_bad_filter_answers_400_with_the_form(client):
    people = desk()
    client.force_login(people["carol"])

    response = client.get(
        "/reports/measures/volumes/export.csv?period=custom&start=2026-03-04&end=2026-03-01"
    )

    assert response.status_code == 400
    assert "The end comes before the start." in response.content.decode()


@pytest.mark.parametrize("url", ["/reports/measures/volumes/export.csv", "/reports/measures/nope/export.csv"])
def test_a_requester_or_an_unknown_measure_gets_404(client, requester, url):
    client.force_login(requester)
    assert client.get(url).status_code == 404


def test_an_unknown_format_is_404(client):
    client.force_login(desk()["carol"])
    assert client.get("/reports/measures/volumes/export.doc").status_code == 404


def test_the_report_page_offers_the_exports_with_its_query(client):
    client.force_login(desk()["carol"])

    page = client.get(f"/reports/measures/volumes/?{THREE_DAYS}").content.decode()

    assert f'href="/reports/measures/volumes/export.xlsx?{THREE_DAYS.replace("&", "&amp;")}"' in page


def _result():
    return Result(
        columns=[
            Column("met", "Met", "percent"),
            Column("time", "Time", "seconds"),
            Column("avg", "Rating", "rating"),
        ],
        rows=[Row(key="a", label="服务台", values={"met": 87.5, "time": 5400, "avg": 4.25})],
    )


def _measure():
    return Measure(key="test", label="Test", definition="", section="", compute=lambda q: _result())


def _query():
    return Query(start=at(2), end=at(5), time_zone="UTC", scope=Scope(everything=True), by="period")


def test_percentages_are_numbers_in_csv_and_fractions_with_a_percent_format_in_xlsx():
    sheet = sheet_of(_result(), measure=_measure(), query=_query())

    assert (
        "".join(csv_chunks(sheet)) == "\ufeffPeriod,Met (%),Time (hours),Rating\r\n服务台,87.5,1.5,4.25\r\n"
    )
    with xlsx_file(sheet) as file:
        book = openpyxl.load_workbook(file)
    cells = book.active[2]
    assert [c.value for c in cells] == ["服务台", 0.875, 1.5, 4.25]
    assert cells[1].number_format == "0.0%"
    assert book.active["A1"].font.b
    assert export_bytes(sheet, "pdf").startswith(b"%PDF-")
