"""What the CMDB offers to pickers (`servicedesk.pickers`): business services and CIs."""

from servicedesk.lookups import match_words
from servicedesk.pickers import PickSource, register_pick_source

from .filters import WORD_FIELDS
from .models import ConfigurationItem
from .permissions import CMDBPolicy
from .selectors import business_service_list

SERVICES = "services"
CIS = "cis"


def ci_label(ci: ConfigurationItem) -> str:
    return f"{ci} · {ci.ci_class}"


def register_pick_sources() -> None:
    register_pick_source(
        PickSource(
            # The service catalogue: requesters choose from it too.
            name=SERVICES,
            choices=lambda user, params: business_service_list().order_by("name"),
            search=lambda rows, text: match_words(rows, text, ("name",)),
            allowed=lambda user: user.is_authenticated,
            label=lambda ci: ci.name,
        )
    )
    register_pick_source(
        PickSource(
            name=CIS,
            choices=lambda user, params: (
                CMDBPolicy.cis_visible_to(user).select_related("ci_class").order_by("name", "pk")
            ),
            related=("ci_class",),
            search=lambda rows, text: match_words(rows, text, WORD_FIELDS[:5]),
            allowed=CMDBPolicy.can_view,
            label=ci_label,
        )
    )
