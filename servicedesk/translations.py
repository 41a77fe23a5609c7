"""Names people translate: a service, a category, a request type, shown in each reader's language.

A model with a translatable name takes `TranslatedName`: its `name` stays the name in the site's language
(what is searched, sorted and imported), and `name_translations` holds the others by language code
(`{"zh-hans": "服务台"}`). `str()` of the object is the name in the active language, falling back to `name`,
so templates, menus and pickers that print the object print the reader's name. Forms take
`TranslatedNameFormMixin`: one "Name (Simplified Chinese)" field per other language instead of the JSON.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

NAME_MAX_LENGTH = 200


def other_languages() -> list[tuple[str, str]]:
    """(code, label) of the languages besides the site's own, in which names may be translated."""
    return [(code, label) for code, label in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def validate_name_translations(value) -> None:
    """A mapping of the site's other language codes to names of at most 200 characters."""
    if not isinstance(value, dict):
        raise ValidationError(_("Give the names as a mapping of language codes to names."), code="invalid")
    codes = {code for code, _label in other_languages()}
    for code, name in value.items():
        if code not in codes:
            raise ValidationError(
                _("%(code)s is not one of the site's other languages (%(codes)s)."),
                code="invalid",
                params={"code": code, "codes": ", ".join(sorted(codes))},
            )
        if not isinstance(name, str) or len(name) > NAME_MAX_LENGTH:
            raise ValidationError(
                _("A translated name is text of at most %(max)d characters."),
                code="invalid",
                params={"max": NAME_MAX_LENGTH},
            )


def translated(names: dict | None, default: str, language: str | None = None) -> str:
    """The name for `language` (the active one when None) from `names`, else `default`."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    names = names or {}
    return (names.get(language) or "").strip() or default


class TranslatedName(models.Model):
    name_translations = models.JSONField(
        _("name in other languages"),
        default=dict,
        blank=True,
        validators=[validate_name_translations],
        help_text=_('By language code, e.g. {"zh-hans": "服务台"}; empty: the name.'),
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.translated_name()

    def translated_name(self, language: str | None = None) -> str:
        return translated(self.name_translations, self.name, language)


class TranslatedNameFormMixin:
    """For a ModelForm of a `TranslatedName` model: a "Name (<language>)" field per other language,
    read from and written to `name_translations` (which the form must not list itself)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = (self.instance.name_translations if self.instance is not None else None) or {}
        for code, label in other_languages():
            self.fields[self.translation_field(code)] = forms.CharField(
                label=format_lazy("{} ({})", _("Name"), label),
                required=False,
                max_length=NAME_MAX_LENGTH,
                initial=names.get(code, ""),
                help_text=_("Shown to people who read this language; empty: the name above."),
            )

    @staticmethod
    def translation_field(code: str) -> str:
        return "name_" + code.replace("-", "_")

    def clean(self):
        cleaned = super().clean()
        names = {}
        for code, _label in other_languages():
            value = (cleaned.get(self.translation_field(code)) or "").strip()
            if value:
                names[code] = value
        self.instance.name_translations = names
        return cleaned
