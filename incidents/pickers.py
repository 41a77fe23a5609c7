"""What incidents offer to pickers (`servicedesk.pickers`): the agents who may work records."""

from servicedesk.lookups import match_words
from servicedesk.pickers import PickSource, register_pick_source
from servicedesk.selectors import agent_list

from .workflow import WORK_PERMISSION

AGENTS = "incident-agents"


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
