"""Forms of the change's record page: its fields and plans, the inputs of its transitions, comments and
work notes, and the post-implementation review."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident
from servicedesk.fields import TextareaField
from servicedesk.forms_merge import MergeFormMixin

from . import workflow as wf
from .forms import ChoicesMixin, PlanningFields
from .models import Change


def _minute(value):
    """A planned time as the form shows it (to the minute), so seconds set elsewhere read as no change."""
    return value.replace(second=0, microsecond=0) if value is not None else None


class ChangeEditForm(MergeFormMixin, ChoicesMixin, PlanningFields):
    """The change's fields and plans (`services.lifecycle.EDITABLE_FIELDS` and its services and CIs).
    Once approved only the planned times are open (the others are shown disabled); `override_reason` is
    the change manager's reason for keeping a scheduled change's new slot despite its conflicts. Saving
    writes only what the person changed, merged over what others saved meanwhile."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    override_reason = TextareaField(
        label=_("Why it goes ahead despite its conflicts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when moving a scheduled change into a conflict."),
    )

    def __init__(self, *args, record: Change, **kwargs):
        initial = {"version": record.version, **self.current_values(record)}
        super().__init__(*args, initial=initial, **kwargs)
        self.set_choices()
        if record.status not in wf.PLANNING_STATUSES:
            for name, field in self.fields.items():
                if name not in ("version", "planned_start", "planned_end", "override_reason"):
                    field.disabled = True
        if record.status != wf.SCHEDULED:
            del self.fields["override_reason"]
        self.enable_merge()

    @staticmethod
    def current_values(record: Change) -> dict:
        """The change's values of the form's fields, as the form's initial holds them."""
        return {
            "title": record.title,
            "reason": record.reason,
            "description": record.description,
            "services": [ci.pk for ci in record.services.all()],
            "affected_cis": [ci.pk for ci in record.affected_cis.all()],
            "impact": record.impact,
            "urgency": record.urgency,
            "planned_start": _minute(record.planned_start),
            "planned_end": _minute(record.planned_end),
            "implementation_plan": record.implementation_plan,
            "test_plan": record.test_plan,
            "backout_plan": record.backout_plan,
            "support_group": record.support_group_id,
            "assignee": record.assignee_id,
            "override_reason": "",
        }


def _text(label, *, required=False, rows=2):
    return TextareaField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}))


# The inputs transitions take (`Transition.requires` and `accepts`), as form fields; each form is built
# from the transition's own lists, so the page asks exactly what the table says.
INPUT_FIELDS = {
    "reason": lambda required: _text(_("Why?"), required=required),
    "override_reason": lambda required: _text(
        _("Why it goes ahead despite its conflicts (change managers)"), required=required
    ),
    "maintenance": lambda required: forms.BooleanField(
        label=_("Put the affected CIs in maintenance while implementing"), required=False, initial=True
    ),
}


def transition_form(transition: dict, data=None) -> forms.Form:
    """The small form of one allowed transition (prefixed with its name), its fields from what the
    transition requires and accepts."""
    fields = {}
    for name in transition["requires"]:
        if name in INPUT_FIELDS:
            fields[name] = INPUT_FIELDS[name](True)
    for name in transition["accepts"]:
        if name in INPUT_FIELDS and name not in fields:
            fields[name] = INPUT_FIELDS[name](False)
    form_class = type("TransitionForm", (forms.Form,), fields)
    return form_class(data, prefix=transition["name"])


def transition_inputs(form: forms.Form) -> dict:
    """The cleaned inputs to fire the transition with (the maintenance flag always, yes or no)."""
    inputs = {key: value for key, value in form.cleaned_data.items() if value not in (None, "", False)}
    if "maintenance" in form.fields:
        inputs["maintenance"] = bool(form.cleaned_data.get("maintenance"))
    return inputs


class ReviewForm(forms.Form):
    """The post-implementation review: the outcome, the incidents it caused (from those raised on its CIs
    while it was implemented), the lessons."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Change.Outcome.choices, widget=forms.RadioSelect)
    caused = forms.ModelMultipleChoiceField(
        queryset=Incident.objects.none(),
        required=False,
        label=_("Incidents it caused"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Raised on its CIs while it was implemented."),
    )
    lessons = _text(_("Lessons learned"), rows=3)

    def __init__(self, *args, record: Change, suggested, **kwargs):
        initial = {
            "version": record.version,
            "outcome": record.review_outcome or None,
            "lessons": record.review_lessons,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["caused"].queryset = suggested
        self.fields["caused"].label_from_instance = lambda incident: f"{incident.number} · {incident.title}"
