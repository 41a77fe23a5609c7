"""The links changes offer through the kernel (DESIGN.md §3): the problems and incidents a change fixes,
the incidents on hold waiting for it, and the incidents it possibly caused. The incident and problem pages
show their changes through these registrations, never by importing this app."""

from django.utils.translation import gettext_lazy as _

from servicedesk.records.links import LinkType, register_link_type

CHANGE_PROBLEMS = "change_problem"
CHANGE_INCIDENTS = "change_incident"
CHANGE_AWAITED = "change_awaited"
CHANGE_CAUSED = "change_caused"


def _change_open(source, target):
    """A change takes new problems, incidents and waiting incidents while it is not final."""
    from .permissions import ChangePolicy

    change = source if source._meta.model_name == "change" else target
    if ChangePolicy.is_final(change):
        return _("%(number)s is finished: link it to nothing more.") % {"number": change.number}
    return None


PROBLEM_LINK = LinkType(
    code=CHANGE_PROBLEMS,
    source_kind="change",
    target_kind="problem",
    label=_("Problems it fixes"),
    reverse_label=_("Changes that fix it"),
    guard=_change_open,
)
INCIDENT_LINK = LinkType(
    code=CHANGE_INCIDENTS,
    source_kind="change",
    target_kind="incident",
    label=_("Incidents it fixes"),
    reverse_label=_("Changes that fix it"),
    guard=_change_open,
)
AWAITED_LINK = LinkType(
    code=CHANGE_AWAITED,
    source_kind="change",
    target_kind="incident",
    label=_("Incidents waiting for it"),
    reverse_label=_("Waiting for the change"),
    target_many=False,
    guard=_change_open,
)
CAUSED_LINK = LinkType(
    code=CHANGE_CAUSED,
    source_kind="change",
    target_kind="incident",
    label=_("Incidents it possibly caused"),
    reverse_label=_("Possibly caused by the change"),
)
LINK_TYPES = (PROBLEM_LINK, INCIDENT_LINK, AWAITED_LINK, CAUSED_LINK)


def register_change_links() -> None:
    for link_type in LINK_TYPES:
        register_link_type(link_type)
