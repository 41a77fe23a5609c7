"""The links releases offer through the kernel (DESIGN.md §3): the changes a release bundles (and so
implements; a change is in one release at most) and the incidents it possibly caused during a wave. The
change and incident pages show their release through these registrations, never by importing this app."""

from django.utils.translation import gettext_lazy as _

from servicedesk.records.links import LinkType, register_link_type

RELEASE_CHANGES = "release_change"
RELEASE_CAUSED = "release_caused"

# The changes a release may take: approved, not yet implemented.
BUNDLEABLE_CHANGE_STATUSES = ("approved", "scheduled")


def _may_bundle(source, target):
    """A release takes changes while it is prepared, and only approved or scheduled ones."""
    from . import workflow as wf

    release, change = (source, target) if source._meta.model_name == "release" else (target, source)
    if release.status not in wf.PREPARING_STATUSES:
        return _("%(number)s is past its testing: what it bundles is fixed.") % {"number": release.number}
    if change.status not in BUNDLEABLE_CHANGE_STATUSES:
        return _("Only an approved or scheduled change goes into a release; %(number)s is %(status)s.") % {
            "number": change.number,
            "status": change.get_status_display().lower(),
        }
    return None


CHANGE_LINK = LinkType(
    code=RELEASE_CHANGES,
    source_kind="release",
    target_kind="change",
    label=_("Changes it implements"),
    reverse_label=_("Implemented by the release"),
    target_many=False,
    guard=_may_bundle,
    public=True,
)
CAUSED_LINK = LinkType(
    code=RELEASE_CAUSED,
    source_kind="release",
    target_kind="incident",
    label=_("Incidents it possibly caused"),
    reverse_label=_("Possibly caused by the release"),
)
LINK_TYPES = (CHANGE_LINK, CAUSED_LINK)


def register_release_links() -> None:
    for link_type in LINK_TYPES:
        register_link_type(link_type)
