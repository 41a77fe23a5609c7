"""Dates, times and relative times in the reader's language and time zone (issue 19 item 9)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

MOMENT = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)


def _render(source: str, **context) -> str:
    return Template("{% load desk %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("en", "Europe/London", "5 Dec 2026, 14:30"),
        ("en", "Asia/Shanghai", "5 Dec 2026, 22:30"),
        ("en", "America/New_York", "5 Dec 2026, 09:30"),
        ("zh-hans", "Asia/Shanghai", "2026年12月5日 22:30"),
    ],
)
def test_short_date_times_read_day_month_year_on_a_24_hour_clock(language, zone, expected):
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        shown = date_format(timezone.localtime(MOMENT), "SHORT_DATETIME_FORMAT")

    assert shown == expected
    assert "12/05/2026" not in shown
    assert "p.m." not in shown


def test_long_dates_name_the_month():
    with translation.override("en"):
        assert date_format(MOMENT.date(), "DATE_FORMAT") == "5 December 2026"
        assert date_format(MOMENT, "DATETIME_FORMAT") == "5 December 2026, 14:30"


@pytest.mark.parametrize(
    ("offset", "english", "chinese"),
    [
        (timedelta(hours=-3, minutes=-5), "3\xa0hours ago", "3\xa0小时前"),
        (timedelta(days=2, hours=1), "in 2\xa0days", "2\xa0日后"),
        (timedelta(seconds=-20), "just now", "刚刚"),
    ],
)
def test_relative_times_carry_the_exact_local_time_on_hover(offset, english, chinese):
    now = MOMENT
    with translation.override("en"), timezone.override(ZoneInfo("Europe/London")):
        html = _render("{% ago moment now %}", moment=now + offset, now=now)
    assert f">{english}</time>" in html
    exact = date_format(timezone.localtime(now + offset, ZoneInfo("Europe/London")), "SHORT_DATETIME_FORMAT")
    assert f'title="{exact}"' in html
    assert f'datetime="{(now + offset).isoformat()}"' in html

    with translation.override("zh-hans"), timezone.override(ZoneInfo("Asia/Shanghai")):
        assert f">{chinese}</time>" in _render("{% ago moment now %}", moment=now + offset, now=now)


def test_no_time_renders_nothing():
    assert _render("{% ago moment %}", moment=None) == ""


def test_an_ambiguous_slashed_date_is_not_read_as_american():
    from django import forms

    field = forms.DateField()
    with translation.override("en"):
        assert field.clean("2026-12-05").isoformat() == "2026-12-05"
        assert field.clean("5 Dec 2026").isoformat() == "2026-12-05"
        with pytest.raises(forms.ValidationError):
            field.clean("12/05/2026")
