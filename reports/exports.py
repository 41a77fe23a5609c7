"""A report's result as a file: CSV (streamed), XLSX (xlsxwriter in constant-memory mode) or PDF
(`reports.pdf`), with the figures the report page shows.

Every value is a number a spreadsheet can add up: counts as they are, percentages from 0 to 100 in CSV
and PDF (a fraction with a percent format in XLSX), durations in hours (the column's label says so),
ratings out of 5. The labels are resolved when the sheet is built, in the active language, so a file
streamed after the view returned reads the same as the page.
"""

import csv
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import FileResponse, StreamingHttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from servicedesk.reporting.dimensions import dimension
from servicedesk.reporting.measures import Measure, Query, Result

FORMATS = ("csv", "xlsx", "pdf")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# An XLSX up to this size stays in memory; a larger one spills to a temporary file.
SPOOL_BYTES = 4 * 1024 * 1024
CSV_ROWS_PER_CHUNK = 200


@dataclass
class Sheet:
    """A result as a table of plain values: what every format writes."""

    title: str
    period: str  # "From … until … (zone)" or "Now (…)"
    headers: list[str]
    # per column: "text" (the row's label), "count", "percent" (0-100), "hours", "rating", "number"
    types: list[str]
    rows: list[list]


def _value(value, type: str):
    if value is None:
        return None
    if type == "seconds":
        return round(value / 3600, 2)
    if type in ("percent", "rating", "number"):
        return round(float(value), 2)
    return value


def _type(column_type: str) -> str:
    return "hours" if column_type == "seconds" else column_type


def _header(column) -> str:
    if column.type == "seconds":
        return _("%(label)s (hours)") % {"label": column.label}
    if column.type == "percent":
        return _("%(label)s (%%)") % {"label": column.label}
    return str(column.label)


def period_text(measure: Measure, query: Query) -> str:
    zone = ZoneInfo(query.time_zone)
    if measure.snapshot:
        now = query.now.astimezone(zone) if query.now else None
        moment = date_format(now, "SHORT_DATETIME_FORMAT") if now else ""
        return _("Now: %(moment)s (%(zone)s)") % {"moment": moment, "zone": query.time_zone}
    first = query.start.astimezone(zone).date()
    last = (query.end.astimezone(zone) - timedelta(microseconds=1)).date()
    return _("From %(start)s until %(end)s (%(zone)s)") % {
        "start": date_format(first, "SHORT_DATE_FORMAT"),
        "end": date_format(last, "SHORT_DATE_FORMAT"),
        "zone": query.time_zone,
    }


def sheet_of(result: Result, *, measure: Measure, query: Query) -> Sheet:
    """The result as the report page's table: the breakdown's label first, then each column."""
    by_label = str(dimension(query.by).label) if query.by != "period" else _("Period")
    return Sheet(
        title=str(measure.label),
        period=period_text(measure, query),
        headers=[by_label, *(_header(column) for column in result.columns)],
        types=["text", *(_type(column.type) for column in result.columns)],
        rows=[
            [
                str(row.label),
                *(_value(row.values.get(column.key), column.type) for column in result.columns),
            ]
            for row in result.rows
        ],
    )


def export_filename(measure: Measure, query: Query, format: str) -> str:
    """`<measure>_<first day>_<last day>.<format>` in the reader's time zone; a snapshot by its day."""
    zone = ZoneInfo(query.time_zone)
    if measure.snapshot:
        days = f"{(query.now or query.end).astimezone(zone):%Y-%m-%d}"
    else:
        last = query.end.astimezone(zone) - timedelta(microseconds=1)
        days = f"{query.start.astimezone(zone):%Y-%m-%d}_{last:%Y-%m-%d}"
    return f"{measure.key}_{days}.{format}"


class _Echo:
    """The file a csv.writer writes into: each line is handed back instead of kept."""

    def write(self, value):
        return value


def csv_chunks(sheet: Sheet) -> Iterator[str]:
    """UTF-8 with a byte-order mark (so Excel reads Chinese), the header row, then the rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(sheet.headers)
    for start in range(0, len(sheet.rows), CSV_ROWS_PER_CHUNK):
        yield "".join(writer.writerow(row) for row in sheet.rows[start : start + CSV_ROWS_PER_CHUNK])


def csv_response(sheet: Sheet, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in csv_chunks(sheet)), content_type=MEDIA_TYPES["csv"]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _sheet_name(title: str) -> str:
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31] or "Report"


def xlsx_file(sheet: Sheet):
    """The sheet as an XLSX workbook in a spooled temporary file, positioned at its start."""
    import xlsxwriter

    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    formats = {
        "count": workbook.add_format({"num_format": "#,##0"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "hours": workbook.add_format({"num_format": "#,##0.00"}),
        "rating": workbook.add_format({"num_format": "0.00"}),
        "number": workbook.add_format({"num_format": "#,##0.##"}),
    }
    worksheet = workbook.add_worksheet(_sheet_name(sheet.title))
    worksheet.set_column(0, 0, 28)
    worksheet.set_column(1, max(len(sheet.headers) - 1, 1), 18)
    worksheet.freeze_panes(1, 1)
    # constant_memory writes row by row: the header first, then each row in order.
    for column, header in enumerate(sheet.headers):
        worksheet.write_string(0, column, header, bold)
    for index, row in enumerate(sheet.rows, start=1):
        for column, (value, type) in enumerate(zip(row, sheet.types, strict=True)):
            if value is None:
                continue
            if type == "text":
                worksheet.write_string(index, column, value)
            elif type == "percent":
                worksheet.write_number(index, column, value / 100, formats["percent"])
            else:
                worksheet.write_number(index, column, value, formats.get(type, formats["number"]))
    workbook.close()
    out.seek(0)
    return out


def xlsx_response(sheet: Sheet, filename: str) -> FileResponse:
    return FileResponse(
        xlsx_file(sheet), as_attachment=True, filename=filename, content_type=MEDIA_TYPES["xlsx"]
    )


def export_bytes(sheet: Sheet, format: str) -> bytes:
    """The whole file, for an e-mail attachment."""
    if format == "csv":
        return "".join(csv_chunks(sheet)).encode("utf-8")
    if format == "xlsx":
        with xlsx_file(sheet) as file:
            return file.read()
    if format == "pdf":
        from .pdf import pdf_bytes

        return pdf_bytes(sheet)
    raise ValueError(format)
