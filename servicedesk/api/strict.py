"""The API accepts what its schema documents, and nothing else.

DRF is lenient in two ways the schema cannot say, both kept for HTML forms (which the API does not
parse): a text field (`CharField` and its e-mail, slug, URL and regex kinds) turns a JSON number into its
text, so `{"phone": 123}` saved "123"; and a relation (`parent`, `owner`, ...) reads an empty string as
null. Here a text field refuses a number ("Not a valid string.") and a relation refuses "" ("This field
may not be blank."; send null to clear it). Installed once, by the kernel's AppConfig, for every app's
serializers.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import fields, relations
from rest_framework.exceptions import ValidationError

_lenient_to_internal_value = fields.CharField.to_internal_value
_lenient_relation_validation = relations.RelatedField.run_validation


def _to_internal_value(self, data):
    if isinstance(data, int | float):
        self.fail("invalid")
    return _lenient_to_internal_value(self, data)


def _relation_validation(self, data=fields.empty):
    if isinstance(data, str) and data == "":
        raise ValidationError(_("This field may not be blank."), code="blank")
    return _lenient_relation_validation(self, data)


def install() -> None:
    fields.CharField.to_internal_value = _to_internal_value
    relations.RelatedField.run_validation = _relation_validation
