"""A service's ValidationError on the form that called it: one helper for every page and admin."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from servicedesk.form_errors import apply_service_errors
from servicedesk.models import SupportGroup


class _Form(forms.Form):
    name = forms.CharField(required=False)
    attributes = forms.CharField(required=False)


def _form():
    form = _Form({})
    assert form.is_valid()
    return form


def test_a_field_error_lands_on_its_field():
    form = _form()

    apply_service_errors(form, ValidationError({"name": ["Taken."]}))

    assert form.errors == {"name": ["Taken."]}


def test_a_nested_key_lands_on_the_field_collecting_it_led_by_its_rest():
    form = _form()

    apply_service_errors(
        form,
        ValidationError({"attributes.cpu_count": ["Too small."], "attributes": ["Not an object."]}),
        nested={"attributes": "attributes"},
    )

    assert form.errors == {"attributes": ["cpu_count: Too small.", "Not an object."]}


def test_any_other_key_goes_above_the_form_named_and_a_plain_error_as_it_is():
    form = _form()

    apply_service_errors(form, ValidationError({"owner": ["Not an agent."], "__all__": ["Closed."]}))
    apply_service_errors(form, ValidationError("Try again."))

    assert form.non_field_errors() == ["owner: Not an agent.", "Closed.", "Try again."]


class _GroupForm(forms.ModelForm):
    class Meta:
        model = SupportGroup
        fields = ["name"]


def test_on_a_model_form_another_key_is_led_by_the_fields_name_in_the_readers_language(db):
    form = _GroupForm({"name": "Network"})
    assert form.is_valid()

    with translation.override("zh-hans"):
        apply_service_errors(form, ValidationError({"tier": ["不行。"], "unknown_key": ["也不行。"]}))
        errors = form.non_field_errors()

    assert errors == ["支持层级: 不行。", "unknown_key: 也不行。"]
