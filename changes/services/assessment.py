"""The change's assessment (issue 16, item 2): its impact from the CMDB, its risk from the questionnaire
and that impact, and what must be ready before anyone is asked to approve it."""

from django.utils.translation import gettext as _

from ..models import Change


def approval_readiness_errors(change: Change, *, need_dates: bool = True, need_risk: bool = True) -> dict:
    """What is missing before approval, by field: the three plans, the planned start and end, and the
    risk assessment."""
    errors = {}
    for name, label in (
        ("implementation_plan", _("the implementation plan")),
        ("test_plan", _("the test plan")),
        ("backout_plan", _("the back-out plan")),
    ):
        if not getattr(change, name).strip():
            errors[name] = _("Write %(plan)s before approval.") % {"plan": label}
    if need_dates and (change.planned_start is None or change.planned_end is None):
        errors["planned_start"] = _("Plan the start and the end before approval.")
    if need_risk and not change.risk_level:
        errors["risk_level"] = _("Assess the risk before approval.")
    return errors


def risk_refresh(change: Change) -> dict:
    """Re-assess the risk of `change` (already assessed) with its stored answers, after its CIs or
    services changed; the field changes it made, as `apply_changes` answers them."""
    raise NotImplementedError  # built with the assessment (helper: assessment and CAB)
