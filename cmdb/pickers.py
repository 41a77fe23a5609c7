"""What the CMDB offers to pickers (`servicedesk.pickers`): business services and CIs."""

from servicedesk.lookups import match_words
from servicedesk.pickers import PickSource, register_pick_source

from .filters import WORD_FIELDS
from .models import ConfigurationItem
from .permissions import CMDBPolicy
from .selectors import business_service_list

SERVICES = "services"
CIS = "cis"

# What a CI is found by as an agent types: its name, its identifiers (host name, serial number, asset tag,
# external id) and its class's name ("server", "database").
CI_SEARCH_FIELDS = (*WORD_FIELDS[:5], "ci_class__name")
# The identifier shown beside a CI's name, the first it has: what tells two "web-01" apart.
CI_IDENTIFIERS = ("hostname", "serial_number", "asset_tag", "external_id")


def ci_label(ci: ConfigurationItem) -> str:
    """A CI as a picker lists it: its name, its class (in the reader's language), and its first identifier
    (host name, serial…)."""
    identifier = next((value for name in CI_IDENTIFIERS if (value := getattr(ci, name, ""))), "")
    label = f"{ci} · {ci.ci_class}"
    return f"{label} · {identifier}" if identifier and identifier != ci.name else label


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
            search=lambda rows, text: match_words(rows, text, CI_SEARCH_FIELDS),
            allowed=CMDBPolicy.can_view,
            label=ci_label,
        )
    )
