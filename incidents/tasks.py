from celery import shared_task

from .services import incidents_close_resolved


@shared_task(name="incidents.close_resolved")
def close_resolved_task() -> int:
    """Close resolved records past the auto-close delay (beat, hourly). Safe to run twice."""
    return incidents_close_resolved()
