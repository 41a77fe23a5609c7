"""A request type's own fields as a Django form (`incidents.request_forms` reads the schema).

The form checks the shape of what was typed (a date is a date, a number a number, a person is offered by the
picker); the service checks the answers against the schema again, so the API and the portal agree.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from servicedesk.form_errors import apply_service_errors
from servicedesk.models import User
from servicedesk.pickers import use_picker

from .pickers import FORM_CIS, FORM_PEOPLE
from .request_forms import ANSWERS_FIELD, FormField, form_fields

PREFIX = "form"


def _field(spec: FormField) -> forms.Field:
    options = {"label": spec.label, "help_text": spec.help, "required": spec.required}
    rules = spec.spec
    if spec.kind == "text":
        widget = forms.Textarea(attrs={"rows": 4}) if spec.multiline else forms.TextInput
        return forms.CharField(
            max_length=rules.get("maxLength"), min_length=rules.get("minLength"), widget=widget, **options
        )
    if spec.kind == "choice":
        choices = [("", _("Choose…")), *((value, value) for value in rules["enum"])]
        return forms.ChoiceField(choices=choices, **options)
    if spec.kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **options)
    if spec.kind == "number":
        limits = {"min_value": rules.get("minimum"), "max_value": rules.get("maximum")}
        if rules.get("type") == "integer":
            return forms.IntegerField(**limits, **options)
        return forms.FloatField(**limits, **options)
    if spec.kind == "boolean":
        # A box left unticked is an answer too ("no"): never required.
        return forms.BooleanField(**{**options, "required": False})
    if spec.kind == "user":
        field = forms.ModelChoiceField(
            User.objects.filter(is_active=True), empty_label=_("Nobody chosen"), **options
        )
        use_picker(field, FORM_PEOPLE, menu=field.queryset.order_by("full_name", "username"))
        return field
    if spec.kind == "ci":
        path = rules.get("x-ci-class", "")
        queryset = ConfigurationItem.objects.exclude(status=ConfigurationItem.Status.RETIRED)
        if path:
            queryset = queryset.filter(ci_class__path__startswith=path)
        field = forms.ModelChoiceField(queryset, empty_label=_("Nothing chosen"), **options)
        menu = queryset.select_related("ci_class").order_by("name", "pk")
        use_picker(field, FORM_CIS, menu=menu, params={"ci_class": path or None})
        return field
    return forms.FileField(**options)


class RequestFieldsForm(forms.Form):
    """The request type's fields, named as in its schema (prefixed `form-` in the page)."""

    success_css_class = ""

    def __init__(self, *args, schema: dict, **kwargs):
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)
        self.specs = form_fields(schema)
        for spec in self.specs:
            self.fields[spec.name] = _field(spec)

    def answers(self) -> tuple[dict, dict]:
        """The answers as the service takes them (JSON values, files apart); call after `is_valid()`."""
        answers, files = {}, {}
        for spec in self.specs:
            value = self.cleaned_data.get(spec.name)
            if spec.kind == "file":
                if value:
                    files[spec.name] = value
            elif spec.kind == "boolean":
                answers[spec.name] = bool(value)
            elif value is None or value == "":
                continue
            elif spec.kind == "date":
                answers[spec.name] = value.isoformat()
            elif spec.kind in ("user", "ci"):
                answers[spec.name] = value.pk
            else:
                answers[spec.name] = value
        return answers, files


def split_answer_errors(error: ValidationError, *, main: forms.Form, fields: RequestFieldsForm) -> None:
    """A service's ValidationError on both forms: `form_data.<field>` on the field, the rest on `main`."""
    if not hasattr(error, "error_dict"):
        apply_service_errors(main, error)
        return
    own, rest = {}, {}
    for key, messages in error.message_dict.items():
        head, _dot, name = key.partition(".")
        if head == ANSWERS_FIELD and name in fields.fields:
            own[name] = messages
        else:
            rest[key] = messages
    if own:
        apply_service_errors(fields, ValidationError(own))
    if rest:
        apply_service_errors(main, ValidationError(rest))
