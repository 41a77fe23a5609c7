"""The CI lifecycle, declared once as the kernel's transition table (`servicedesk.records.workflow`).

CIs are not records worked by people (no timeline, no SLA), so `cmdb.services.items.ci_transition` fires
these itself; the table still answers what the API's `/transitions`, the CI page's buttons and the 409s
show, in the same shape as every record kind.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.records.workflow import Transition, Workflow

from .permissions import CMDBPolicy

PLANNED = "planned"
ORDERED = "ordered"
IN_STOCK = "in_stock"
IN_PRODUCTION = "in_production"
IN_MAINTENANCE = "in_maintenance"
RETIRED = "retired"
STATUSES = [PLANNED, ORDERED, IN_STOCK, IN_PRODUCTION, IN_MAINTENANCE, RETIRED]


def can_change(ci, user) -> bool:
    return CMDBPolicy.can_change_ci(user, ci)


WORKFLOW = Workflow(
    [
        Transition("order", (PLANNED,), ORDERED, _("Order"), can_change),
        Transition("receive", (PLANNED, ORDERED, RETIRED), IN_STOCK, _("Receive into stock"), can_change),
        Transition(
            "deploy", (PLANNED, IN_STOCK, IN_MAINTENANCE), IN_PRODUCTION, _("Put into production"), can_change
        ),
        Transition("start_maintenance", (IN_PRODUCTION,), IN_MAINTENANCE, _("Start maintenance"), can_change),
        Transition("retire", tuple(s for s in STATUSES if s != RETIRED), RETIRED, _("Retire"), can_change),
    ]
)
