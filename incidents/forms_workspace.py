"""Forms of the agent queue: filters, saved views, bulk actions; and the choices the workspace shares.

The record page's and agent entry's forms are in `forms_record`.

Forms validate shape only; the services decide what is allowed and raise what is not.
"""

import json

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmdb.pickers import CIS, SERVICES
from cmdb.selectors import business_service_list
from servicedesk.form_choices import list_choices
from servicedesk.models import SupportGroup, User
from servicedesk.pickers import PEOPLE, PREVIEW, use_picker
from servicedesk.selectors import agent_list
from servicedesk.widgets import quick_selects

from .filters import IncidentFilter
from .models import Category, Incident
from .pickers import AGENTS
from .workflow import WORK_PERMISSION

QUEUE_VIEWS = {
    "mine": _("Assigned to me"),
    "groups": _("Unassigned: my groups and no group"),
    "open": _("All open"),
    "breaching": _("Breaching soon"),
    "all": _("All"),
}
DEFAULT_QUEUE_VIEW = "mine"
BULK_LIMIT = 100


def agents(group: SupportGroup | None = None):
    """Agents who may work incidents and requests (members of `group` when given), by name."""
    return agent_list(group=group, perm=WORK_PERMISSION)


def active_groups():
    return SupportGroup.objects.filter(is_active=True).order_by("name")


class QueueChoices:
    """What the queue's filters and bulk actions both list: the active groups, and the first agents of
    the assignee pickers; read once per request (one query each), shared by the two forms."""

    def __init__(self):
        self._agents = self._groups = None

    @property
    def agents(self) -> list[User]:
        """The assignee pickers' preview (`servicedesk.pickers`): the first agents by name, and whether
        there are more (one row more than the preview)."""
        if self._agents is None:
            self._agents = list(agents()[: PREVIEW + 1])
        return self._agents

    @property
    def groups(self) -> list[SupportGroup]:
        if self._groups is None:
            self._groups = list(active_groups())
        return self._groups


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name()


class GroupAssigneeMixin:
    """A group and an assignee chosen together (fields `support_group` and `assignee`): the assignee
    picker offers the chosen group's members (every agent while no group is chosen), and changing the
    group re-renders it for the new group (htmx, `incidents:assignee_options`). Whether the person may
    take the group's records stays the service's check, so a crafted or outdated choice gets its field
    error.

    `assignee_form` names the form for that address (`views_entry.ASSIGNEE_FORMS`)."""

    assignee_form = ""

    def chosen(self, name: str):
        """The object chosen in field `name` (posted, else initial), or None when none or unknown."""
        value = self[name].data if self.is_bound else self[name].initial
        if isinstance(value, Model):
            return value  # an initial object, as the record has it
        try:
            return self.fields[name].to_python(value)
        except ValidationError:
            return None

    def offer_group_members(self, *, preview=None) -> None:
        """Put the assignee on a picker of the chosen group's members; `preview`: the first agents, when
        read already (`QueueChoices.agents`), for when no group is chosen. The person chosen stays
        shown (and, if not a member, gets the service's error on saving) rather than silently turning
        into "nobody"."""
        group = self.chosen("support_group")
        if group is not None:
            use_picker(self.fields["assignee"], AGENTS, menu=agents(group), params={"group": group.pk})
        else:
            use_picker(self.fields["assignee"], AGENTS, menu=preview)
        target = f"{self['assignee'].auto_id}-field"
        self.fields["support_group"].widget.attrs.update(
            {
                "hx-get": reverse("incidents:assignee_options"),
                "hx-target": f"#{target}",
                "hx-include": f"#{self['assignee'].auto_id}",
                "hx-vals": json.dumps({"form": self.assignee_form}),
                "aria-controls": target,
            }
        )


class QueueFilter(IncidentFilter):
    """The API's filters, plus the record kind, with widgets that suit a page (no list of every CI);
    words list the best matches first."""

    search_ranked = True

    kind = django_filters.ChoiceFilter(
        choices=Incident.Kind.choices, label=_("Kind"), empty_label=_("Any kind")
    )

    def __init__(self, *args, choices: QueueChoices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue_choices = choices or QueueChoices()
        self.filters["assignee"].queryset = agents()
        self.filters["support_group"].queryset = active_groups()
        self.filters["category"].queryset = Category.objects.filter(parent__isnull=True)
        self.filters["sla_breaching_within"].extra["widget"] = forms.NumberInput(attrs={"min": 0})
        for name in ("created_after", "created_before", "updated_after", "resolved_after", "resolved_before"):
            self.filters[name].extra["widget"] = forms.DateTimeInput(attrs={"type": "datetime-local"})
        for name in ("status", "priority", "channel"):
            self.filters[name].extra["widget"] = forms.SelectMultiple(attrs={"size": 4})

    @property
    def form(self):
        if hasattr(self, "_form"):
            return self._form
        form = super().form
        list_choices(form.fields["support_group"], self.queue_choices.groups)
        quick_selects(form)
        use_picker(form.fields["assignee"], AGENTS, menu=self.queue_choices.agents)
        use_picker(form.fields["service"], SERVICES, menu=business_service_list().order_by("name"))
        use_picker(form.fields["requester"], PEOPLE, menu=[])
        use_picker(form.fields["ci"], CIS, menu=[])
        for field in form.fields.values():
            if isinstance(field.widget, forms.Select | forms.SelectMultiple):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
        return form


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=100)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the view a name."))
        return name


class BulkForm(GroupAssigneeMixin, forms.Form):
    ASSIGN = "assign"
    TRANSITION = "transition"

    records = forms.ModelMultipleChoiceField(
        queryset=Incident.objects.none(),
        label=_("Selected records"),
        error_messages={"required": _("Select at least one record.")},
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[(ASSIGN, _("Assign")), (TRANSITION, _("Change status"))]
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        label=_("Group"),
        empty_label=_("Keep the group"),
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Assignee"), empty_label=_("Keep / nobody")
    )
    to = forms.ChoiceField(
        label=_("New status"), required=False, choices=[("", "—"), *Incident.Status.choices]
    )
    hold_reason = forms.ChoiceField(
        label=_("Hold reason"), required=False, choices=[("", "—"), *Incident.HoldReason.choices]
    )
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"), required=False, choices=[("", "—"), *Incident.ResolutionCode.choices]
    )
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    first_contact_resolution = forms.BooleanField(label=_("Resolved at first contact"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)

    prefix = "bulk"  # the queue's filter form has fields of the same names
    assignee_form = "bulk"

    def __init__(self, *args, records=None, choices: QueueChoices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or QueueChoices()
        self.fields["records"].queryset = records if records is not None else Incident.objects.none()
        self.fields["support_group"].queryset = active_groups()
        self.fields["assignee"].queryset = agents()
        list_choices(self.fields["support_group"], choices.groups)
        quick_selects(self)
        self.offer_group_members(preview=choices.agents)

    def clean_records(self):
        records = self.cleaned_data["records"]
        if len(records) > BULK_LIMIT:
            raise ValidationError(_("Select at most %(count)d records at a time.") % {"count": BULK_LIMIT})
        return records

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and not (data.get("support_group") or data.get("assignee")):
            self.add_error("assignee", _("Choose a group, a person or both."))
        if action == self.TRANSITION and not data.get("to"):
            self.add_error("to", _("Choose the new status."))
        return data

    def transition_inputs(self) -> dict:
        data = self.cleaned_data
        inputs = {
            "assignee": data.get("assignee"),
            "hold_reason": data.get("hold_reason") or "",
            "resolution_code": data.get("resolution_code") or "",
            "resolution_notes": data.get("resolution_notes") or "",
            "first_contact_resolution": bool(data.get("first_contact_resolution")),
            "reason": data.get("reason") or "",
        }
        return {name: value for name, value in inputs.items() if value not in (None, "")}
