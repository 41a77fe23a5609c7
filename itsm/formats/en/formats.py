"""English dates and times as nobody misreads them: 5 December 2026, 14:30 (decision 207).

Django's own English formats are American (12/05/2026, 2:30 p.m.), which a reader in the UK, India or
Australia takes for 12 May. Day, month name and year in that order, on a 24-hour clock, read the same
everywhere English is read. Dates typed into forms are ISO (the browsers' date inputs send that) or
written with the month's name; the ambiguous slashed forms are not accepted.
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as ISO 8601 and most of the world
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M",
]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M:%S.%f", "%H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
