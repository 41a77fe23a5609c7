"""The changes a release bundles follow it (issue 17, item 6): a change in a release is implemented by the
release, and closes with the release's outcome. Cancelling a release frees its changes."""

from servicedesk.records.linking import record_unlink

from ..links import RELEASE_CHANGES
from ..models import Release
from ..selectors import release_changes


def release_changes_release(*, release: Release, actor) -> None:
    """A cancelled release lets go of its changes (as the system): each may join another release, or be
    implemented on its own."""
    for change in release_changes(release):
        record_unlink(actor=None, link_type=RELEASE_CHANGES, record=release, other=change)


def release_changes_close(*, release: Release, actor) -> None:
    """The release closed: each bundled change is reviewed with the release's outcome and closed."""
    # Written by the "changes follow the release" work (issue 17, item 6).
