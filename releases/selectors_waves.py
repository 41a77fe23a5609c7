"""Reads of a release's waves and their tasks, for the progress board, the API and the pages (the
release itself comes through `release_get_for_user`, which authorises)."""

from django.db.models import Prefetch, QuerySet

from servicedesk.errors import NotFound

from .models import DeploymentTask, Release, Wave

FAILED_SHOWN = 20  # failed tasks the board lists per wave, with their logs


def wave_list(release: Release) -> QuerySet[Wave]:
    """The release's waves in the order they run, with who started them."""
    return release.waves.select_related("started_by").order_by("position", "pk")


def wave_get(release: Release, wave_id) -> Wave:
    """The wave `wave_id` of `release`; NotFound for any other."""
    wave = wave_list(release).filter(pk=wave_id).first() if str(wave_id).isdigit() else None
    if wave is None:
        raise NotFound()
    wave.release = release
    return wave


def wave_tasks(wave: Wave, *, status: str = "") -> QuerySet[DeploymentTask]:
    """The wave's tasks with their CI (and its class) and artifact, in CI order; of one status when given."""
    tasks = wave.tasks.select_related("ci__ci_class", "artifact").order_by("ci__name", "pk")
    return tasks.filter(status=status) if status else tasks


def wave_board(release: Release) -> list[Wave]:
    """The waves for the progress board: each with its first FAILED_SHOWN failed tasks (`failed_list`)
    and its artifact, in two queries whatever the number of waves."""
    failed = DeploymentTask.objects.filter(status=DeploymentTask.Status.FAILED).select_related("ci")
    waves = list(
        wave_list(release).prefetch_related(
            # A sliced prefetch: the database keeps FAILED_SHOWN per wave (a window function).
            Prefetch(
                "tasks", queryset=failed.order_by("ci__name", "pk")[:FAILED_SHOWN], to_attr="failed_list"
            )
        )
    )
    for wave in waves:
        wave.release = release
    return waves
