from celery import shared_task

from .services.candidates import candidates_detect


@shared_task(name="problems.candidates_detect")
def candidates_detect_task() -> dict:
    """Propose problem candidates from recurring incidents (beat, daily). Safe to run twice."""
    return candidates_detect()
