"""Recompute management information's facts: every kind's, or one kind's, for records filed or written
in a date range (after a calendar edit, a restore, or a change of how a fact is worked out); for every
kind, the rollup of those days is made again from the facts as well."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from servicedesk.kinds import record_kind, record_kinds
from servicedesk.reporting.facts import facts_rebuild
from servicedesk.reporting.rollups import rollup_rebuild


def _day(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from exc
    return datetime.combine(day, time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


class Command(BaseCommand):
    help = "Recompute the facts reports read, for one kind or all, optionally for a date range."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", help="A record kind's code (incident, request, problem…); all by default."
        )
        parser.add_argument("--since", help="Records filed or written on or after this day (YYYY-MM-DD).")
        parser.add_argument("--until", help="Records filed before this day (YYYY-MM-DD).")

    def handle(self, *args, kind=None, since=None, until=None, **options):
        try:
            kinds = [record_kind(kind)] if kind else record_kinds()
        except LookupError as exc:
            raise CommandError(f"Unknown kind {kind!r}.") from exc
        for each in kinds:
            done = facts_rebuild(each, since=_day(since), until=_day(until))
            self.stdout.write(f"{each.code}: {done} records")
        if not kind:  # every kind's facts are fresh: the rollup is made again from them
            rows = rollup_rebuild(since=_day(since), until=_day(until))
            self.stdout.write(f"rollup: {rows} rows")
