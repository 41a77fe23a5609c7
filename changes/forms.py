"""Forms of the change pages: the list's filters, raising a change (normal or emergency, or from a
standard change of the catalogue), and the catalogue's choice. The record page's forms are in
`forms_record.py`.

Forms validate shape only; the services decide what is allowed and raise what is not.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.pickers import CIS, SERVICES
from cmdb.selectors import business_service_list
from servicedesk.fields import TextareaField
from servicedesk.models import Impact, SupportGroup, Urgency, User
from servicedesk.pickers import PEOPLE, use_picker
from servicedesk.selectors import agent_list

from . import workflow as wf
from .models import Change, ChangeType, RiskLevel

LIST_VIEWS = {
    "open": _("Open"),
    "mine": _("Mine"),
    "awaiting": _("Awaiting approval"),
    "scheduled": _("Scheduled"),
    "all": _("All"),
}
DEFAULT_LIST_VIEW = "open"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


def change_managers():
    """Who may manage a change (its assignee): agents holding the managing right, by name."""
    return agent_list(perm=wf.MANAGE_PERMISSION)


def active_groups():
    return SupportGroup.objects.filter(is_active=True).order_by("name")


def datetime_field(label, **kwargs) -> forms.DateTimeField:
    """A date and time typed in the person's own time zone (the middleware activates it)."""
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        **kwargs,
    )


MARKDOWN = _("Markdown.")


def _text(label, *, rows=3, required=False, help_text=MARKDOWN):
    return TextareaField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


def _cis_field(label):
    return forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=label
    )


class ChoicesMixin:
    """The querysets and pickers the change forms share (set in `__init__`)."""

    def set_choices(self):
        fields = self.fields
        if "services" in fields:
            fields["services"].queryset = business_service_list().order_by("name")
            use_picker(fields["services"], SERVICES)
        if "service" in fields:
            fields["service"].queryset = business_service_list().order_by("name")
            use_picker(fields["service"], SERVICES)
        if "affected_cis" in fields:
            fields["affected_cis"].queryset = ConfigurationItem.objects.select_related("ci_class").order_by(
                "name", "pk"
            )
            use_picker(fields["affected_cis"], CIS)
        if "support_group" in fields:
            fields["support_group"].queryset = active_groups()
        if "assignee" in fields:
            fields["assignee"].queryset = change_managers()
            use_picker(fields["assignee"], PEOPLE, menu=change_managers())


class PlanningFields(forms.Form):
    """What a normal or emergency change is raised and planned with."""

    title = forms.CharField(label=_("Title"), max_length=200)
    reason = _text(_("Reason"), help_text=_("Why the change is needed. Markdown."))
    description = _text(_("Description"), rows=4)
    services = _cis_field(_("Affected services"))
    affected_cis = _cis_field(_("Affected CIs"))
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.USER
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    planned_start = datetime_field(_("Planned start"))
    planned_end = datetime_field(_("Planned end"))
    implementation_plan = _text(_("Implementation plan"), rows=4)
    test_plan = _text(_("Test plan"))
    backout_plan = _text(_("Back-out plan"))
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        label=_("Implementer group"),
        empty_label=_("No group"),
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Change manager"), empty_label=_("Nobody")
    )


class ChangeNewForm(ChoicesMixin, PlanningFields):
    """Raise a normal change (a draft) or an emergency one (submitted at once); from a problem
    (`problem`, its number), prefilled from its known error and linked to it."""

    change_type = forms.ChoiceField(
        label=_("Type"),
        choices=[(wf.NORMAL, _("Normal")), (wf.EMERGENCY, _("Emergency"))],
        initial=wf.NORMAL,
        widget=forms.RadioSelect,
        help_text=_(
            "An emergency change goes to the emergency CAB at once, and may be approved after the fact."
        ),
    )
    problem = forms.CharField(widget=forms.HiddenInput, required=False, max_length=30)
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()

    @staticmethod
    def initial_from(problem) -> dict:
        """The form as "resolve via change" opens it: what `change_from_problem` would fill in."""
        known_error = getattr(problem, "known_error", None)
        root_cause = (known_error.root_cause if known_error else "") or problem.root_cause
        title = known_error.title if known_error else problem.title
        services = [s.pk for s in known_error.services.all()] if known_error else []
        cis = [ci.pk for ci in known_error.cis.all()] if known_error else []
        return {
            "problem": problem.number,
            "title": (
                _("Remove the cause of %(number)s: %(title)s") % {"number": problem.number, "title": title}
            )[:200],
            "reason": root_cause,
            "description": (known_error.symptoms if known_error else "")
            or problem.symptoms
            or problem.description,
            "services": services or ([problem.service_id] if problem.service_id else []),
            "affected_cis": cis or [ci.pk for ci in problem.affected_cis.all()],
            "support_group": problem.support_group_id,
            "impact": problem.impact,
            "urgency": problem.urgency,
        }


class StandardNewForm(ChoicesMixin, forms.Form):
    """A change from the catalogue asks only what the template cannot know: a title (the template's name
    by default), the CIs and when."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    affected_cis = _cis_field(_("Affected CIs"))
    planned_start = datetime_field(_("Planned start"))
    standard = forms.IntegerField(widget=forms.HiddenInput)
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()


class ChangeFilterForm(ChoicesMixin, forms.Form):
    """The change list's filters (GET)."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    change_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *ChangeType.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Change.Status.choices]
    )
    risk_level = forms.ChoiceField(
        label=_("Risk"), required=False, choices=[("", _("Any risk")), *RiskLevel.choices]
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, label=_("Group"), empty_label=_("Any group")
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Change manager"), empty_label=_("Anyone")
    )
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label=_("Business service"),
        empty_label=_("Any service"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()
