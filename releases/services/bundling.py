"""The changes a release bundles follow it (issue 17, item 6): a change in a release is implemented by the
release, and closes with the release's outcome. Cancelling a release frees its changes.

Each move is the change's own, through the changes app's entry point for work carried out elsewhere
(`changes.services.elsewhere`), fired as the system with "Implemented by REL…" on the change's timeline.
"""

from datetime import timedelta

from changes.models import Change
from changes.services.elsewhere import change_finish_elsewhere, change_start_elsewhere, implemented_by
from servicedesk.records.linking import record_unlink

from ..links import RELEASE_CHANGES
from ..models import Release
from ..selectors import release_changes

# The release's outcome -> the outcome its changes are reviewed with.
CHANGE_OUTCOMES = {
    Release.Outcome.SUCCESSFUL: Change.Outcome.SUCCESSFUL,
    Release.Outcome.PARTIAL: Change.Outcome.PARTIAL,
    Release.Outcome.FAILED: Change.Outcome.FAILED,
    Release.Outcome.ROLLED_BACK: Change.Outcome.BACKED_OUT,
}


def release_changes_release(*, release: Release, actor) -> None:
    """A cancelled release lets go of its changes (as the system): each may join another release, or be
    implemented on its own."""
    for change in release_changes(release):
        record_unlink(actor=None, link_type=RELEASE_CHANGES, record=release, other=change)


def release_changes_start(*, release: Release, actor) -> None:
    """The deployment started: each bundled change that is approved or scheduled moves to implementing
    (as the system; an approved one scheduled first, in the release's slot when it has none of its own:
    the release's windows were checked when its deployment started)."""
    start = release.actual_start or release.planned_start
    end = release.planned_end if release.planned_end and start and release.planned_end > start else None
    if start is not None and end is None:
        end = start + timedelta(hours=1)
    for change in release_changes(release):
        change_start_elsewhere(record=change, by=release.number, planned_start=start, planned_end=end)


def release_changes_close(*, release: Release, actor) -> None:
    """The release closed: each bundled change ends its implementation as the release did, is reviewed
    with the release's outcome (rolled back: backed out) and the lessons "Implemented by REL…" (and the
    release's own), and is closed."""
    outcome = CHANGE_OUTCOMES.get(release.outcome, Change.Outcome.SUCCESSFUL)
    lessons = "\n\n".join(
        part for part in (implemented_by(release.number), release.outcome_notes.strip()) if part
    )
    for change in release_changes(release):
        change_finish_elsewhere(record=change, by=release.number, outcome=outcome, lessons=lessons)
