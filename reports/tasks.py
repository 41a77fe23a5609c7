"""Celery tasks of the reports app: thin, one service call each."""

from celery import shared_task


@shared_task(name="reports.schedules_send")
def schedules_send_task() -> int:
    """Send the scheduled reports that are due (beat, every five minutes)."""
    from .sending import schedules_send

    return schedules_send()
