"""CSV files to import rows: one CI (or relationship) per line, attributes in `attr.<name>` columns.

CIs: `class,name,status,environment,version,owner,support_group,location,serial_number,asset_tag,
hostname,external_id,description,attr.cpu_count,...`. Relationships: `type`, and `source.<key>` /
`target.<key>` columns naming each end by `external_id`, `serial_number`, `asset_tag`, `hostname`, or
`class` and `name`. Empty cells are left out; attribute cells holding JSON numbers, booleans, arrays or
objects are read as such (`4` is the number 4), anything else as text.
"""

import csv
import io
import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000


def _value(cell: str):
    try:
        value = json.loads(cell)
    except (ValueError, RecursionError):  # not JSON, or too deep to parse: the text as it is
        return cell
    return value if not isinstance(value, str) else cell


def read_rows(upload, kind: str) -> list[dict]:
    """The rows of an uploaded CSV file as import rows. Raises ValidationError for an unreadable file."""
    if upload.size > MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 50 MB.")]})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [_("The file is not UTF-8 text.")]}) from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ValidationError({"file": [_("The file has no header line.")]})
    rows = []
    try:
        for line in reader:
            if len(rows) >= MAX_ROWS:
                raise ValidationError({"file": [_("At most 200,000 rows per file.")]})
            rows.append(_row(line, kind))
    except csv.Error as exc:
        raise ValidationError({"file": [_("Not a valid CSV file: %(error)s") % {"error": exc}]}) from exc
    if not rows:
        raise ValidationError({"file": [_("The file has no rows.")]})
    return rows


def _row(line: dict, kind: str) -> dict:
    row: dict = {}
    for column, cell in line.items():
        if column is None or cell is None:
            continue
        column, cell = column.strip(), cell.strip()
        if not cell:
            continue
        if kind == "cis" and column.startswith("attr."):
            row.setdefault("attributes", {})[column[5:]] = _value(cell)
        elif kind == "relationships" and "." in column:
            end, key = column.split(".", 1)
            if end in ("source", "target"):
                row.setdefault(end, {})[key] = cell
        else:
            row[column] = cell
    return row
