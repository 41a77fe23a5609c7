"""`manage.py calendar_load_holidays "Shanghai office" CN 2026 2027`: public holidays into a calendar."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from servicedesk.models import BusinessCalendar
from servicedesk.sla.calendars import calendar_load_holidays


class Command(BaseCommand):
    help = (
        "Add a country's public holidays for a range of years to a business calendar as closed days, and the "
        "weekend days it works instead (China's make-up days) as open days."
    )

    def add_arguments(self, parser):
        parser.add_argument("calendar", help="the calendar's name")
        parser.add_argument("country", help="ISO 3166 code, e.g. CN, GB, US")
        parser.add_argument("first_year", type=int)
        parser.add_argument("last_year", type=int, nargs="?")
        parser.add_argument("--subdivision", help="a region of the country, e.g. CA")

    def handle(self, *args, calendar, country, first_year, last_year, subdivision, **options):
        found = BusinessCalendar.objects.filter(name=calendar).first()
        if found is None:
            raise CommandError(f"No business calendar is named {calendar!r}.")
        last_year = last_year or first_year
        try:
            added = calendar_load_holidays(
                calendar=found,
                actor=None,
                country=country.upper(),
                subdivision=subdivision,
                years=range(first_year, last_year + 1),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{added} holidays and working days added to {found}.")
