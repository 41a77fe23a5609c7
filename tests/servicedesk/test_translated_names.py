"""Names translated per language (issue 19 item 10): services, CI classes, categories, request types."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from cmdb.models import CIClass
from cmdb.services.items import ci_create
from servicedesk.translations import TranslatedNameFormMixin, translated, validate_name_translations


def test_a_name_reads_in_the_active_language_and_falls_back_to_the_name():
    names = {"zh-hans": "服务台"}

    assert translated(names, "Service desk", "zh-hans") == "服务台"
    assert translated(names, "Service desk", "en") == "Service desk"
    assert translated({"zh-hans": "  "}, "Service desk", "zh-hans") == "Service desk"
    with translation.override("zh-hans"):
        assert translated(names, "Service desk") == "服务台"


@pytest.mark.parametrize(
    "value",
    [["服务台"], {"fr": "Bureau"}, {"en": "Desk"}, {"zh-hans": 3}, {"zh-hans": "长" * 201}],
)
def test_translated_names_are_the_other_languages_only_and_short_text(value):
    with pytest.raises(ValidationError):
        validate_name_translations(value)


@pytest.mark.django_db
def test_the_default_classes_have_chinese_names_and_print_in_the_readers_language():
    service_class = CIClass.objects.get(code="business_service")

    assert service_class.name_translations == {"zh-hans": "业务服务"}
    with translation.override("zh-hans"):
        assert str(service_class) == "业务服务"
    with translation.override("en"):
        assert str(service_class) == "Business service"


@pytest.mark.django_db
def test_a_service_is_created_with_its_chinese_name_and_a_bad_one_is_a_field_error(administrator):
    service_class = CIClass.objects.get(code="business_service")
    service = ci_create(
        actor=administrator, name="Payroll", ci_class=service_class, name_translations={"zh-hans": "薪资"}
    )
    with translation.override("zh-hans"):
        assert str(service) == "薪资"

    with pytest.raises(ValidationError) as error:
        ci_create(actor=administrator, name="CRM", ci_class=service_class, name_translations={"xx": "?"})
    assert "name_translations" in error.value.message_dict


class ClassForm(TranslatedNameFormMixin, forms.ModelForm):
    class Meta:
        model = CIClass
        fields = ["name"]


@pytest.mark.django_db
def test_the_form_offers_a_name_per_other_language_and_keeps_what_is_typed():
    ci_class = CIClass.objects.get(code="server")
    form = ClassForm(instance=ci_class)
    assert form["name_zh_hans"].initial == "服务器"
    assert "Simplified Chinese" in str(form["name_zh_hans"].label)

    form = ClassForm({"name": "Server", "name_zh_hans": " 服务器主机 "}, instance=ci_class)
    assert form.is_valid(), form.errors
    form.save()
    ci_class.refresh_from_db()
    assert ci_class.name_translations == {"zh-hans": "服务器主机"}

    form = ClassForm({"name": "Server", "name_zh_hans": ""}, instance=ci_class)
    assert form.is_valid()
    form.save()
    ci_class.refresh_from_db()
    assert ci_class.name_translations == {}


@pytest.mark.django_db
def test_categories_and_request_types_print_in_the_readers_language():
    from incidents.models import Category

    category = Category.objects.create(name="Printer", name_translations={"zh-hans": "打印机"})
    with translation.override("zh-hans"):
        assert str(category) == "打印机"
    with translation.override("en"):
        assert str(category) == "Printer"


@pytest.mark.django_db
def test_the_demo_catalogue_names_every_category_and_request_type_in_chinese():
    from incidents.demo.data import CATEGORIES, NAMES_ZH, REQUEST_TYPES

    names = set(CATEGORIES) | {sub for subs in CATEGORIES.values() for sub in subs}
    names |= {name for _service, name, *_rest in REQUEST_TYPES}
    assert names <= set(NAMES_ZH)
