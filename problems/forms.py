"""Forms of the problem pages: the list's filters, raising a problem, editing one (classification and
root-cause analysis), its transitions' inputs, and searching the KEDB.

Forms validate shape only; the services decide what is allowed and raise what is not.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.pickers import CIS, SERVICES
from cmdb.selectors import business_service_list
from incidents.models import Category
from incidents.pickers import AGENTS
from servicedesk.fields import TextareaField
from servicedesk.forms_merge import MergeFormMixin
from servicedesk.models import Impact, SupportGroup, Urgency, User
from servicedesk.pickers import use_picker
from servicedesk.selectors import agent_list

from . import workflow as wf
from .models import KnownError, Problem

LIST_VIEWS = {"open": _("Open"), "mine": _("Assigned to me"), "all": _("All")}
DEFAULT_LIST_VIEW = "open"
MAX_CIS = 100


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


def problem_workers():
    """Who may be a problem's manager (its assignee): agents who work problems, by name."""
    return agent_list(perm=wf.WORK_PERMISSION)


def active_groups():
    return SupportGroup.objects.filter(is_active=True).order_by("name")


def _ci_field(label, help_text=""):
    return forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=label, help_text=help_text
    )


class _Choices:
    """The querysets and pickers the problem forms share (set in `__init__`)."""

    def _set_choices(self):
        fields = self.fields
        if "service" in fields:
            fields["service"].queryset = business_service_list().order_by("name")
            use_picker(fields["service"], SERVICES)
        if "category" in fields:
            fields["category"].queryset = Category.objects.filter(is_active=True).order_by("name")
        if "support_group" in fields:
            fields["support_group"].queryset = active_groups()
        if "assignee" in fields:
            fields["assignee"].queryset = problem_workers()
            use_picker(fields["assignee"], AGENTS)
        for name in ("affected_cis", "contributing_cis", "ci"):
            if name in fields:
                fields[name].queryset = ConfigurationItem.objects.select_related("ci_class").order_by(
                    "name", "pk"
                )
                use_picker(fields[name], CIS)


class ClassificationFields(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = TextareaField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown."),
    )
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=_("Business service")
    )
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, label=_("Category"))
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.USER
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, label=_("Group"), empty_label=_("No group")
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Problem manager"), empty_label=_("Nobody")
    )
    affected_cis = _ci_field(_("Affected CIs"))


class ProblemNewForm(_Choices, ClassificationFields):
    """Raise a problem; from an incident (`incident`, its number), prefilled from it and linked to it."""

    symptoms = TextareaField(
        label=_("Symptoms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What users see. Markdown."),
    )
    incident = forms.CharField(widget=forms.HiddenInput, required=False, max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_choices()

    @staticmethod
    def initial_from(incident) -> dict:
        return {
            "incident": incident.number,
            "title": incident.title,
            "description": incident.description,
            "symptoms": incident.description,
            "service": incident.service_id,
            "category": incident.category_id,
            "impact": incident.impact,
            "urgency": incident.urgency,
            "affected_cis": [ci.pk for ci in incident.affected_cis.all()],
        }


class ProblemEditForm(MergeFormMixin, _Choices, ClassificationFields):
    """The working fields of a problem (`services.lifecycle.EDITABLE_FIELDS` and its CIs). Saving writes
    only what the agent changed, merged over what others saved meanwhile (`servicedesk.forms_merge`)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    symptoms = TextareaField(
        label=_("Symptoms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What users see. Markdown."),
    )
    root_cause = TextareaField(
        label=_("Root cause"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown."),
    )
    method = forms.ChoiceField(
        label=_("Analysis method"), required=False, choices=[("", "—"), *Problem.Method.choices]
    )
    worksheet = TextareaField(
        label=_("Worksheet"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "5 whys: each why in turn. Fishbone: the causes by category. "
            "Fault tree: the events and gates. Markdown."
        ),
    )
    contributing_cis = _ci_field(_("Contributing CIs"), _("The CIs whose failure or state led to the cause."))
    time_spent_minutes = forms.IntegerField(
        label=_("Time spent (minutes)"), min_value=0, max_value=10_000_000
    )
    workaround = TextareaField(
        label=_("Workaround"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown."),
    )
    no_workaround = forms.BooleanField(label=_("There is no workaround"), required=False)

    def __init__(self, *args, record: Problem, **kwargs):
        initial = {"version": record.version, **self.current_values(record)}
        super().__init__(*args, initial=initial, **kwargs)
        self._set_choices()
        self.enable_merge()

    @staticmethod
    def current_values(record: Problem) -> dict:
        """The record's values of the form's fields, as the form's initial holds them."""
        return {
            "title": record.title,
            "description": record.description,
            "service": record.service_id,
            "category": record.category_id,
            "impact": record.impact,
            "urgency": record.urgency,
            "support_group": record.support_group_id,
            "assignee": record.assignee_id,
            "affected_cis": [ci.pk for ci in record.affected_cis.all()],
            "symptoms": record.symptoms,
            "root_cause": record.root_cause,
            "method": record.method,
            "worksheet": record.worksheet,
            "contributing_cis": [ci.pk for ci in record.contributing_cis.all()],
            "time_spent_minutes": record.time_spent_minutes,
            "workaround": record.workaround,
            "no_workaround": record.no_workaround,
        }


def _text(label, *, required=False, rows=3):
    return TextareaField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}))


# The inputs of each transition (`workflow.WORKFLOW`), as form fields; a transition not listed takes none.
TRANSITION_FIELDS = {
    "known_error": lambda record: {
        "root_cause": _text(_("Root cause"), required=not record.root_cause.strip()),
        "workaround": _text(_("Workaround")),
        "no_workaround": forms.BooleanField(label=_("There is no workaround"), required=False),
    },
    "resolve": lambda record: {"fix": _text(_("Fix: how the cause was removed"), required=True)},
    "reopen": lambda record: {"reason": _text(_("Why reopen it?"), required=True, rows=2)},
    "cancel": lambda record: {"reason": _text(_("Why cancel it?"), required=True, rows=2)},
}


def transition_form(transition: dict, record: Problem, data=None) -> forms.Form:
    """The small form of one allowed transition (prefixed with its name), with the record's root cause and
    workaround as the known error's starting point."""
    fields = TRANSITION_FIELDS.get(transition["name"], lambda record: {})(record)
    form_class = type("TransitionForm", (forms.Form,), fields)
    initial = {}
    if transition["name"] == "known_error":
        initial = {
            "root_cause": record.root_cause,
            "workaround": record.workaround,
            "no_workaround": record.no_workaround,
        }
    return form_class(data, prefix=transition["name"], initial=initial)


class KnownErrorStatusForm(forms.Form):
    status = forms.ChoiceField(choices=KnownError.Status.choices)


class ProblemFilterForm(_Choices, forms.Form):
    """The problem list's filters (GET)."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, label=_("Group"), empty_label=_("Any group")
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Problem manager"), empty_label=_("Anyone")
    )
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label=_("Business service"),
        empty_label=_("Any service"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Problem.Status.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_choices()


class KnownErrorSearchForm(_Choices, forms.Form):
    """Searching the KEDB: words, a service, a CI (the KEDB page and the incident page's panel)."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label=_("Business service"),
        empty_label=_("Any service"),
    )
    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=_("CI"), empty_label=_("Any CI")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *KnownError.Status.choices]
    )

    def __init__(self, *args, statuses: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_choices()
        if not statuses:
            del self.fields["status"]
