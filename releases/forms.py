"""Forms of the release pages: the list's filters, raising a release, and on its record page its fields,
the changes it bundles, the go/no-go checklist and the inputs of its transitions.

Forms validate shape only; the services decide what is allowed and raise what is not.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from changes.forms import DATETIME_FORMAT, PersonChoiceField
from cmdb.models import ConfigurationItem
from cmdb.pickers import CIS, SERVICES
from cmdb.selectors import business_service_list
from servicedesk.fields import TextareaField
from servicedesk.forms_merge import MergeFormMixin
from servicedesk.models import SupportGroup, User
from servicedesk.pickers import PEOPLE, use_picker
from servicedesk.selectors import agent_list

from . import workflow as wf
from .models import Release, ReleaseType

LIST_VIEWS = {"open": _("Open"), "mine": _("Mine"), "all": _("All")}
DEFAULT_LIST_VIEW = "open"
MARKDOWN = _("Markdown.")
NUMBER_SEPARATORS = re.compile(r"[\s,;]+")


def release_managers():
    return agent_list(perm=wf.MANAGE_PERMISSION)


def release_workers():
    return agent_list(perm=wf.WORK_PERMISSION)


def _text(label, *, rows=3, required=False, help_text=MARKDOWN):
    return TextareaField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


def _datetime(label):
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _cis(label):
    return forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=label
    )


def _minute(value):
    """A planned time as the form shows it (to the minute), so seconds set elsewhere read as no change."""
    return value.replace(second=0, microsecond=0) if value is not None else None


class ChoicesMixin:
    """The querysets and pickers the release forms share (set in `__init__`)."""

    def set_choices(self):
        fields = self.fields
        for name in ("services", "service"):
            if name in fields:
                fields[name].queryset = business_service_list().order_by("name")
                use_picker(fields[name], SERVICES)
        if "target_cis" in fields:
            fields["target_cis"].queryset = ConfigurationItem.objects.select_related("ci_class").order_by(
                "name", "pk"
            )
            use_picker(fields["target_cis"], CIS)
        if "support_group" in fields:
            fields["support_group"].queryset = SupportGroup.objects.filter(is_active=True).order_by("name")
        if "assignee" in fields:
            fields["assignee"].queryset = release_managers()
            use_picker(fields["assignee"], PEOPLE, menu=release_managers())
        if "test_lead" in fields:
            fields["test_lead"].queryset = release_workers()
            use_picker(fields["test_lead"], PEOPLE, menu=release_workers())


class ReleaseFields(forms.Form):
    """What a release is raised and edited with (`services.lifecycle.EDITABLE_FIELDS` and its targets)."""

    title = forms.CharField(label=_("Name"), max_length=200)
    release_version = forms.CharField(label=_("Version"), max_length=64)
    release_type = forms.ChoiceField(label=_("Type"), choices=ReleaseType.choices, initial=ReleaseType.MINOR)
    description = _text(_("Description"), rows=4)
    services = _cis(_("Target services"))
    target_cis = _cis(_("Target CIs"))
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        label=_("Build group"),
        empty_label=_("No group"),
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Release manager"), empty_label=_("Nobody")
    )
    test_lead = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Test lead"), empty_label=_("Nobody")
    )
    planned_start = _datetime(_("Planned start"))
    planned_end = _datetime(_("Planned end"))
    backout_plan = _text(_("Back-out plan"))


def change_numbers(value: str) -> list[str]:
    return [part for part in NUMBER_SEPARATORS.split(value or "") if part]


class ChangeNumbersField(forms.CharField):
    """Change numbers, separated by spaces or commas (`CHG0000042 CHG43`); the view resolves them."""

    def to_python(self, value):
        return change_numbers(super().to_python(value))


class ReleaseNewForm(ChoicesMixin, ReleaseFields):
    """Raise a release (Planning) with the approved or scheduled changes it bundles."""

    changes = ChangeNumbersField(
        label=_("Changes it bundles"),
        required=False,
        max_length=4000,
        help_text=_("Numbers of approved or scheduled changes, separated by spaces or commas."),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()


class ReleaseEditForm(MergeFormMixin, ChoicesMixin, ReleaseFields):
    """The release's fields; from its go/no-go on only the planned times are open (the others shown
    disabled). Saving writes only what the person changed, merged over what others saved meanwhile."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, record: Release, **kwargs):
        initial = {"version": record.version, **self.current_values(record)}
        super().__init__(*args, initial=initial, **kwargs)
        self.set_choices()
        if record.status not in wf.PREPARING_STATUSES:
            for name, field in self.fields.items():
                if name not in ("version", "planned_start", "planned_end"):
                    field.disabled = True
        self.enable_merge()

    @staticmethod
    def current_values(record: Release) -> dict:
        """The release's values of the form's fields, as the form's initial holds them."""
        return {
            "title": record.title,
            "release_version": record.release_version,
            "release_type": record.release_type,
            "description": record.description,
            "services": [ci.pk for ci in record.services.all()],
            "target_cis": [ci.pk for ci in record.target_cis.all()],
            "support_group": record.support_group_id,
            "assignee": record.assignee_id,
            "test_lead": record.test_lead_id,
            "planned_start": _minute(record.planned_start),
            "planned_end": _minute(record.planned_end),
            "backout_plan": record.backout_plan,
        }


class ReleaseFilterForm(ChoicesMixin, forms.Form):
    """The release list's filters (GET)."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Release.Status.choices]
    )
    release_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *ReleaseType.choices]
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        label=_("Build group"),
        empty_label=_("Any group"),
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Release manager"), empty_label=_("Anyone")
    )
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label=_("Target service"),
        empty_label=_("Any service"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()


class BundleForm(forms.Form):
    """Changes to add to, or take out of, the release."""

    changes = ChangeNumbersField(label=_("Change numbers"), max_length=4000)


class ChecklistForm(forms.Form):
    """The go/no-go checklist items a person keeps: tests passed (with a summary), communication sent
    (with who was told what)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    tests_passed = forms.BooleanField(label=_("The tests passed"), required=False)
    test_summary = _text(_("Test summary"), rows=2)
    communication_sent = forms.BooleanField(label=_("The communication was sent"), required=False)
    communication_note = _text(_("Who was told what, and how"), rows=2)

    def __init__(self, *args, record: Release, **kwargs):
        initial = {
            "version": record.version,
            "tests_passed": record.tests_passed_at is not None,
            "test_summary": record.test_summary,
            "communication_sent": record.communication_sent_at is not None,
            "communication_note": record.communication_note,
        }
        super().__init__(*args, initial=initial, **kwargs)


# The inputs transitions take (`Transition.requires` and `accepts`), as form fields; each form is built
# from the transition's own lists, so the page asks exactly what the table says.
INPUT_FIELDS = {
    "reason": lambda required: _text(_("Why?"), rows=2, required=required, help_text=""),
    "override_reason": lambda required: _text(
        _("Why it goes ahead despite its windows"), rows=2, required=required, help_text=""
    ),
    "outcome": lambda required: forms.ChoiceField(
        label=_("Outcome"), choices=Release.Outcome.choices, required=required, widget=forms.RadioSelect
    ),
    "notes": lambda required: _text(_("Lessons learned"), rows=3, required=required),
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
    form_class = type("ReleaseTransitionForm", (forms.Form,), fields)
    return form_class(data, prefix=transition["name"])


def transition_inputs(form: forms.Form) -> dict:
    return {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
