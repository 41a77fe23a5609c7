"""Workspace forms for the CMDB: shape only; the services validate attributes, schemas and rules."""

import json

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from servicedesk.fields import JSONInputField, TextareaField
from servicedesk.forms_merge import MergeFormMixin
from servicedesk.models import SLAPolicy, SupportGroup, User

from . import schemas
from .attribute_forms import attribute_fields, attributes_from, initial_values
from .models import CIClass, ConfigurationItem, RelationshipType
from .services.items import EDITABLE_FIELDS


class PrettyJSONField(JSONInputField):
    """A JSON object in a textarea, shown indented; empty means `{}`."""

    widget = forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"})

    def to_python(self, value):
        return super().to_python(value) or {}

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value or {}, indent=2, ensure_ascii=False, sort_keys=False)


class CIFilterForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False)
    ci_class = forms.ModelChoiceField(
        label=_("Class"), queryset=CIClass.objects.all(), required=False, empty_label=_("Any class")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ConfigurationItem.Status.choices]
    )
    environment = forms.ChoiceField(
        label=_("Environment"),
        required=False,
        choices=[("", _("Any environment")), *ConfigurationItem.Environment.choices],
    )
    support_group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.order_by("name"),
        required=False,
        empty_label=_("Any group"),
    )


def _location_choices():
    return ConfigurationItem.objects.filter(ci_class__path__startswith="/location/").order_by("name")


class CIForm(MergeFormMixin, forms.Form):
    """A new CI, or an existing one: then saving writes only what this person changed, merged over what
    others saved meanwhile (`servicedesk.forms_merge`; `revision` is the CI's version it was read at)."""

    version_field_name = "revision"

    ci_class = forms.ModelChoiceField(label=_("Class"), queryset=CIClass.objects.all())
    name = forms.CharField(label=_("Name"), max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), choices=ConfigurationItem.Status.choices, initial=ConfigurationItem.Status.PLANNED
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.filter(is_active=True).order_by("full_name"), required=False
    )
    support_group = forms.ModelChoiceField(
        label=_("Support group"), queryset=SupportGroup.objects.order_by("name"), required=False
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=ConfigurationItem.objects.none(),
        required=False,
        help_text=_("A CI of class Location."),
    )
    sla_policy = forms.ModelChoiceField(
        label=_("SLA policy"),
        queryset=SLAPolicy.objects.none(),
        required=False,
        help_text=_("Business services only: the policy for the records filed against this service."),
    )
    environment = forms.ChoiceField(
        label=_("Environment"),
        required=False,
        choices=[("", "—"), *ConfigurationItem.Environment.choices],
    )
    version = forms.CharField(label=_("Version"), max_length=100, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    asset_tag = forms.CharField(label=_("Asset tag"), max_length=100, required=False)
    hostname = forms.CharField(label=_("Host name"), max_length=253, required=False)
    external_id = forms.CharField(label=_("External id"), max_length=200, required=False)
    description = TextareaField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    attributes = PrettyJSONField(
        label=_("Attributes"),
        required=False,
        help_text=_("A JSON object; the class's schema (beside) says which attributes it takes."),
    )

    def __init__(
        self,
        *args,
        instance: ConfigurationItem | None = None,
        ci_class: CIClass | None = None,
        raw_attributes: bool = False,
        **kwargs,
    ):
        if instance is not None:
            kwargs.setdefault("initial", {"revision": instance.revision, **self.current_values(instance)})
        super().__init__(*args, **kwargs)
        self.instance = instance
        locations = _location_choices()
        # Active policies, and the one the CI keeps even if it was retired since.
        policies = Q(is_active=True)
        if instance is not None:
            del self.fields["status"]
            locations = locations.exclude(pk=instance.pk)
            if instance.sla_policy_id is not None:
                policies |= Q(pk=instance.sla_policy_id)
        self.fields["location"].queryset = locations
        self.fields["sla_policy"].queryset = SLAPolicy.objects.filter(policies).order_by("order", "name")
        self.raw_attributes = raw_attributes
        self.schema_class = self._chosen_class(instance, ci_class)
        if ci_class is not None and not self.is_bound:
            self.initial.setdefault("ci_class", ci_class.pk)
        self.schema = schemas.effective_schema(self.schema_class) if self.schema_class else None
        self.attribute_fields = {}
        if not raw_attributes:
            del self.fields["attributes"]
            self.attribute_fields = attribute_fields(self.schema or {})
            self.fields.update(self.attribute_fields)
            current = (
                instance.attributes
                if instance is not None and isinstance(instance.attributes, dict)
                else None
            )
            for name, value in initial_values(
                self.attribute_fields, current, defaults=instance is None
            ).items():
                self.initial.setdefault(name, value)
        target = "#schema-help" if raw_attributes else "#attribute-fields"
        url = reverse_lazy("cmdb:class_schema") if raw_attributes else reverse_lazy("cmdb:class_attributes")
        self.fields["ci_class"].widget.attrs.update(
            {"hx-get": url, "hx-target": target, "hx-trigger": "change"}
        )
        if instance is not None:
            self.fields["revision"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
            self.enable_merge()

    def _chosen_class(self, instance, ci_class) -> CIClass | None:
        """The class whose schema the form follows: the one posted, else the CI's, else the one asked for."""
        raw = self.data.get(self.add_prefix("ci_class")) if self.is_bound else None
        if raw:
            return CIClass.objects.filter(pk=raw).first() if str(raw).isdigit() else None
        return instance.ci_class if instance is not None else ci_class

    @classmethod
    def current_values(cls, ci: ConfigurationItem) -> dict:
        """The CI's values of the form's fields, as the form's initial holds them."""
        return {
            **{name: getattr(ci, name) for name in cls.service_fields()},
            "ci_class": ci.ci_class_id,
            "owner": ci.owner_id,
            "support_group": ci.support_group_id,
            "location": ci.location_id,
            "sla_policy": ci.sla_policy_id,
        }

    def values_of(self, ci: ConfigurationItem) -> dict:
        """`current_values`, and the CI's value of each generated attribute field (for the merge)."""
        attributes = ci.attributes if isinstance(ci.attributes, dict) else {}
        generated = {
            name: field.from_json(attributes[field.attribute]) if field.attribute in attributes else None
            for name, field in self.attribute_fields.items()
        }
        return {**self.current_values(ci), **generated}

    def service_changes(self, ci: ConfigurationItem | None, changes: dict) -> dict:
        """`changes` (cleaned values by field) as ci_create and ci_update take them: the generated
        attribute fields folded into `attributes`, over the CI's current attributes."""
        changes = dict(changes)
        generated = {name: changes.pop(name) for name in list(changes) if name in self.attribute_fields}
        if generated or (ci is None and not self.raw_attributes):
            kept = ci.attributes if ci is not None and isinstance(ci.attributes, dict) else {}
            changes["attributes"] = attributes_from(self.attribute_fields, generated, kept)
        return changes

    def attribute_bound_fields(self) -> list:
        return [self[name] for name in self.attribute_fields]

    def extra_attributes(self) -> list[tuple[str, object]]:
        """The CI's attributes its class's schema does not define: kept as they are by the generated form."""
        if self.instance is None or not isinstance(self.instance.attributes, dict):
            return []
        defined = {field.attribute for field in self.attribute_fields.values()}
        return [(name, value) for name, value in self.instance.attributes.items() if name not in defined]

    def service_error_keys(self) -> dict:
        """Where the service's `attributes.<name>` errors go: the generated field, or the JSON editor."""
        return {f"attributes.{field.attribute}": name for name, field in self.attribute_fields.items()}

    @staticmethod
    def service_fields() -> list[str]:
        """The fields ci_create/ci_update take besides the class (status is ci_create's own argument)."""
        return [name for name in EDITABLE_FIELDS if name != "ci_class"]


class CIClassForm(MergeFormMixin, forms.Form):
    """A new class, or an existing one: then saving merges as `CIForm` does."""

    version_field_name = "revision"

    code = forms.SlugField(
        label=_("Code"), max_length=64, help_text=_("Stable key for imports and the API; it cannot change.")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.ModelChoiceField(
        label=_("Parent class"), queryset=CIClass.objects.all(), required=False, empty_label=_("(top level)")
    )
    description = TextareaField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attribute_schema = PrettyJSONField(
        label=_("Attribute schema"),
        required=False,
        help_text=_(
            "This class's own JSON Schema fragment: “properties”, “required” and “additionalProperties”. "
            "Subclasses inherit it; inherited attributes cannot be redefined."
        ),
    )

    def __init__(self, *args, instance: CIClass | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {"code": instance.code, "revision": instance.revision, **self.current_values(instance)},
            )
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["code"].disabled = True
            self.fields["parent"].queryset = CIClass.objects.exclude(path__startswith=instance.path)
            self.fields["revision"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
            self.enable_merge()

    @staticmethod
    def current_values(ci_class: CIClass) -> dict:
        """The class's values of the editable fields, as the form's initial holds them."""
        return {
            "name": ci_class.name,
            "parent": ci_class.parent_id,
            "description": ci_class.description,
            "attribute_schema": ci_class.attribute_schema,
        }


class RelationshipForm(forms.Form):
    OUTGOING = "outgoing"
    INCOMING = "incoming"

    type = forms.ModelChoiceField(label=_("Relationship"), queryset=RelationshipType.objects.all())
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (OUTGOING, _("This CI → the other CI (read with the type's name)")),
            (INCOMING, _("The other CI → this CI (read with the reverse name)")),
        ],
        initial=OUTGOING,
    )
    other = forms.IntegerField(
        label=_("Other CI"), min_value=1, help_text=_("Its number, or search for it by name.")
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if types is not None:
            self.fields["type"].queryset = types
        self.fields["type"].label_from_instance = lambda t: f"{t.label} / {t.reverse_label}"
