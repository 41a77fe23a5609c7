"""Forms of the agent's record page and of agent entry (a call taken for a requester).

Forms validate shape only; the services decide what is allowed and raise what is not.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.pickers import CIS, SERVICES
from cmdb.selectors import business_service_list
from servicedesk.fields import MultipleFileField, TextareaField
from servicedesk.forms_merge import MergeFormMixin
from servicedesk.models import Impact, SupportGroup, Urgency, User
from servicedesk.pickers import use_picker

from .forms_workspace import GroupAssigneeMixin, PersonChoiceField, active_groups, agents
from .models import Category, Incident, RequestType
from .pickers import AGENTS

MAX_CIS = 50


class CIChoiceField(forms.ModelMultipleChoiceField):
    """Affected CIs, chosen by typing part of a name, an identifier or a class (the `cis` picker)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Affected CIs"))
        kwargs.setdefault(
            "help_text", _("Type part of a name, host name, serial number, asset tag or class, then choose.")
        )
        super().__init__(queryset=ConfigurationItem.objects.none(), **kwargs)

    def clean(self, value):
        if isinstance(value, list | tuple):
            value = [item for item in value if item not in ("", None)]  # an emptied menu sends ""
        if isinstance(value, list) and len(value) > MAX_CIS:
            raise ValidationError(_("At most %(count)d affected CIs.") % {"count": MAX_CIS})
        return list(super().clean(value) or [])


class ClassificationMixin(forms.Form):
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=_("Business service")
    )
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, label=_("Category"))
    subcategory = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, label=_("Subcategory")
    )
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    affected_cis = CIChoiceField()

    def _set_classification_querysets(self):
        self.fields["service"].queryset = business_service_list().order_by("name")
        use_picker(self.fields["service"], SERVICES)
        self.fields["category"].queryset = Category.objects.filter(parent__isnull=True, is_active=True)
        self.fields["subcategory"].queryset = Category.objects.filter(
            parent__isnull=False, is_active=True
        ).select_related("parent")
        self.fields["subcategory"].label_from_instance = lambda c: f"{c.parent.name} › {c.name}"
        self.fields["affected_cis"].queryset = ConfigurationItem.objects.select_related("ci_class")
        use_picker(self.fields["affected_cis"], CIS, menu=[])


class RecordEditForm(MergeFormMixin, ClassificationMixin):
    """The working fields (`services.EDITABLE_FIELDS` but the channel, and the affected CIs).

    Saving writes only what the agent changed, merged over what others saved meanwhile
    (`servicedesk.forms_merge`).
    """

    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = TextareaField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown."),
    )
    field_order = [
        "version",
        "title",
        "description",
        "service",
        "category",
        "subcategory",
        "impact",
        "urgency",
    ]

    def __init__(self, *args, record: Incident, **kwargs):
        initial = {"version": record.version, **self.current_values(record)}
        super().__init__(*args, initial=initial, **kwargs)
        self._set_classification_querysets()
        # The CIs chosen already, as the record's page read them: the menu shows them without a query.
        use_picker(self.fields["affected_cis"], CIS, menu=list(record.affected_cis.all()))
        self.enable_merge()

    @staticmethod
    def current_values(record: Incident) -> dict:
        """The record's values of the form's fields, as the form's initial holds them."""
        return {
            "title": record.title,
            "description": record.description,
            "service": record.service_id,
            "category": record.category_id,
            "subcategory": record.subcategory_id,
            "impact": record.impact,
            "urgency": record.urgency,
            "affected_cis": [ci.pk for ci in record.affected_cis.all()],
        }

    def display_value(self, name: str, value) -> str:
        if name == "affected_cis" and value:
            return ", ".join(
                ci.name for ci in ConfigurationItem.objects.filter(pk__in=value).order_by("name")
            )
        return super().display_value(name, value)


class AssignForm(MergeFormMixin, GroupAssigneeMixin, forms.Form):
    """The assignment panel: saving writes the group or the assignee only if this agent changed it, so a
    colleague's assignment made meanwhile stands (`servicedesk.forms_merge`)."""

    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, label=_("Group"), empty_label=_("No group")
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Assignee"), empty_label=_("Nobody")
    )
    assignee_form = "assign"

    def __init__(self, *args, record: Incident | None = None, **kwargs):
        if record is not None:
            # The objects themselves (the record has them at hand); `current_values` gives their ids.
            kwargs.setdefault("initial", {"support_group": record.support_group, "assignee": record.assignee})
        super().__init__(*args, **kwargs)
        self.fields["support_group"].queryset = active_groups()
        self.fields["assignee"].queryset = agents()
        self.offer_group_members()
        if record is not None:
            self.enable_merge()

    @staticmethod
    def current_values(record: Incident) -> dict:
        return {"support_group": record.support_group_id, "assignee": record.assignee_id}


class AssignToMeForm(forms.Form):
    """ "Assign to me", in the record's group, or first taking the record into one of the agent's groups
    (`take_into`) when the agent is not a member of the record's group."""

    take_into = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("You are not a member of that group (any more).")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["take_into"].queryset = active_groups().filter(members=user)

    def changes(self) -> dict:
        """The assignment asked for (for `services.incident_assign`); ValidationError for a group that is
        not (any more) the agent's."""
        if not self.is_valid():
            raise ValidationError(self.errors["take_into"].as_data())
        changes = {"assignee": self.user}
        if self.cleaned_data["take_into"] is not None:
            changes["support_group"] = self.cleaned_data["take_into"]
        return changes


class TransitionForm(forms.Form):
    """The base of `transition_form_class`'s forms: the assignee menu lists `assignee_group`'s members."""

    assignee_group: SupportGroup | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            group = self.assignee_group
            if group is None:
                use_picker(self.fields["assignee"], AGENTS)
            else:
                use_picker(self.fields["assignee"], AGENTS, menu=agents(group), params={"group": group.pk})


def transition_form_class(transition: dict, *, group: SupportGroup | None = None):
    """A form with the inputs that `transition` (from `allowed_transitions`) requires or accepts; an
    assignee is chosen among the members of `group` (the record's), when it has one."""
    required = set(transition["requires"])
    fields = {}
    for name in [*transition["requires"], *transition["accepts"]]:
        is_required = name in required
        if name == "assignee":
            fields[name] = PersonChoiceField(queryset=agents(), label=_("Assignee"), required=is_required)
        elif name == "hold_reason":
            fields[name] = forms.ChoiceField(
                label=_("Hold reason"), choices=Incident.HoldReason.choices, required=is_required
            )
        elif name == "resolution_code":
            fields[name] = forms.ChoiceField(
                label=_("Resolution code"), choices=Incident.ResolutionCode.choices, required=is_required
            )
        elif name == "resolution_notes":
            fields[name] = forms.CharField(
                label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 3}), required=is_required
            )
        elif name == "first_contact_resolution":
            fields[name] = forms.BooleanField(label=_("Resolved at first contact"), required=False)
        elif name == "reason":
            fields[name] = forms.CharField(
                label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=is_required
            )
        # csat_score and csat_comment are the requester's, given in the portal.
    fields["assignee_group"] = group
    return type(f"{transition['name'].title()}TransitionForm", (TransitionForm,), fields)


class CommentForm(forms.Form):
    NOTE = "note"
    PUBLIC = "public"

    visibility = forms.ChoiceField(
        label=_("Visible to"),
        choices=[(NOTE, _("Agents only (work note)")), (PUBLIC, _("The requester too (public reply)"))],
        initial=NOTE,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Markdown.")
    )
    attachments = MultipleFileField()

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise ValidationError(_("Write something or attach a file."))
        return data


class NumberForm(forms.Form):
    number = forms.CharField(label=_("Number"), max_length=20)


class MergeForm(NumberForm):
    confirm = forms.BooleanField(
        label=_("Yes, close this record as a duplicate of that one"),
        error_messages={"required": _("Confirm the merge.")},
    )


class MajorForm(forms.Form):
    is_major = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class DeskEntryForm(GroupAssigneeMixin, ClassificationMixin):
    """A call taken by an agent on behalf of a requester."""

    requester = forms.CharField(
        label=_("Requester"),
        max_length=254,
        help_text=_("Name, user name or e-mail; choose from the matches."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Incident.Kind.choices,
        initial=Incident.Kind.INCIDENT,
        widget=forms.RadioSelect,
    )
    request_type = forms.ModelChoiceField(
        queryset=RequestType.objects.none(), required=False, label=_("Request type")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Incident.Channel.choices, initial=Incident.Channel.PHONE
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(),
        required=False,
        label=_("Group"),
        empty_label=_("Route automatically"),
    )
    assignee = PersonChoiceField(
        queryset=User.objects.none(), required=False, label=_("Assignee"), empty_label=_("Nobody yet")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown."),
    )
    attachments = MultipleFileField()

    field_order = [
        "requester", "kind", "request_type", "channel", "service", "category", "subcategory",
        "impact", "urgency", "support_group", "assignee", "affected_cis", "title", "description",
        "attachments",
    ]  # fmt: skip
    assignee_form = "entry"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"impact": Impact.USER, "urgency": Urgency.MEDIUM})
        super().__init__(*args, **kwargs)
        self._set_classification_querysets()
        self.fields["request_type"].queryset = RequestType.objects.filter(is_active=True).select_related(
            "service"
        )
        self.fields["request_type"].label_from_instance = lambda t: f"{t.service.name} › {t.name}"
        self.fields["support_group"].queryset = active_groups()
        self.fields["assignee"].queryset = agents()
        self.offer_group_members()
        self.requester_user = None

    def clean_requester(self):
        text = self.cleaned_data["requester"].strip()
        people = User.objects.filter(is_active=True)
        if text.isdigit():
            match = people.filter(pk=int(text))
        else:
            match = people.filter(Q(username__iexact=text) | Q(email__iexact=text))
            if not match.exists():
                match = people.filter(full_name__iexact=text)
        found = list(match[:2])
        if len(found) != 1:
            raise ValidationError(
                _("No single active person matches “%(text)s”; search and choose one.") % {"text": text}
            )
        self.requester_user = found[0]
        return found[0]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        names = [
            "kind", "channel", "service", "request_type", "category", "subcategory", "impact", "urgency",
            "support_group", "assignee", "title", "description",
        ]  # fmt: skip
        kwargs = {name: data.get(name) for name in names}
        if kwargs["kind"] != Incident.Kind.REQUEST:
            kwargs["request_type"] = None
        return {
            **kwargs,
            "requester": data["requester"],
            "affected_cis": data.get("affected_cis") or [],
            "uploads": data.get("attachments") or [],
        }
