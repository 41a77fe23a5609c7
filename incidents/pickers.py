"""What incidents offer to pickers (`servicedesk.pickers`): the agents who may work records, and the
people and CIs a catalogue form's fields offer to whoever files a request."""

from servicedesk.lookups import match_words
from servicedesk.pickers import PickSource, person_label, register_pick_source
from servicedesk.selectors import agent_list

from .workflow import WORK_PERMISSION

AGENTS = "incident-agents"
FORM_PEOPLE = "request-form-people"
FORM_CIS = "request-form-cis"


def _agents(user, params):
    """Agents who may work incidents and requests; members of group `group` when it is given (an
    unknown or malformed group offers nobody)."""
    group = params.get("group")
    if not group:
        return agent_list(perm=WORK_PERMISSION)
    if not group.isdigit():
        return agent_list(perm=WORK_PERMISSION).none()
    return agent_list(perm=WORK_PERMISSION).filter(support_groups=int(group))


def register_pick_sources() -> None:
    register_form_pick_sources()
    register_pick_source(
        PickSource(
            name=AGENTS,
            choices=_agents,
            search=lambda rows, text: match_words(rows, text, ("full_name", "username", "email")),
            allowed=lambda user: user.is_agent,
            label=lambda person: person.get_full_name(),
            params=("group",),
        )
    )


def _can_file(user) -> bool:
    from .permissions import IncidentPolicy

    return IncidentPolicy.can_file(user)


def _form_people(user, params):
    from servicedesk.models import User

    return User.objects.filter(is_active=True).order_by("full_name", "username")


def _form_cis(user, params):
    """CIs in use (not retired); of the field's class (a path prefix: `/hardware/`) when it names one."""
    from cmdb.models import ConfigurationItem

    rows = (
        ConfigurationItem.objects.exclude(status=ConfigurationItem.Status.RETIRED)
        .select_related("ci_class")
        .order_by("name", "pk")
    )
    path = params.get("ci_class")
    return rows.filter(ci_class__path__startswith=path) if path else rows


def register_form_pick_sources() -> None:
    """A request form's person and CI fields: whoever may file a request picks from them (a requester too,
    unlike the kernel's `people` and the CMDB's `cis`, which are for agents)."""
    from cmdb.pickers import ci_label

    register_pick_source(
        PickSource(
            name=FORM_PEOPLE,
            choices=_form_people,
            search=lambda rows, text: match_words(rows, text, ("full_name", "username", "email")),
            allowed=_can_file,
            label=person_label,
        )
    )
    register_pick_source(
        PickSource(
            name=FORM_CIS,
            choices=_form_cis,
            search=lambda rows, text: match_words(
                rows, text, ("name", "hostname", "serial_number", "asset_tag")
            ),
            allowed=_can_file,
            label=ci_label,
            params=("ci_class",),
            related=("ci_class",),
        )
    )
