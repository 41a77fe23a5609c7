"""The form that keeps a macro: its text, where it is shared, which kinds and what it changes.

The field changes a macro may make are the registered kinds' (`MacroTarget.fields`), one menu each
("no change" first); the service checks them against each kind the macro is for.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .macros import PLACEHOLDERS
from .models import Macro, SupportGroup
from .permissions import MacroPolicy
from .services.macros import macro_kinds

PERSONAL, GROUP, GLOBAL = "personal", "group", "global"
CHANGE_PREFIX = "change_"


def change_fields() -> dict[str, tuple]:
    """{field: (label, [(value, label)])} over every kind that offers macros, in their order."""
    fields: dict[str, tuple] = {}
    for kind in macro_kinds():
        for name, label in kind.macros.fields.items():
            fields.setdefault(name, (label, list(kind.macros.choices(name))))
    return fields


def placeholder_help() -> list[tuple[str, str]]:
    return [(f"{{{{ {name} }}}}", str(description)) for name, (description, _fill) in PLACEHOLDERS.items()]


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown. Placeholders such as {{ requester.first_name }} are filled in when applied."),
    )
    is_public = forms.TypedChoiceField(
        label=_("Added as"),
        choices=[("1", _("A public reply")), ("0", _("An internal work note"))],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    scope = forms.ChoiceField(label=_("Shared with"), widget=forms.RadioSelect)
    group = forms.ModelChoiceField(
        label=_("Support group"), queryset=SupportGroup.objects.none(), required=False
    )
    kinds = forms.MultipleChoiceField(
        label=_("For records of"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, user, macro: Macro | None = None, **kwargs):
        if macro is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(macro)
        super().__init__(*args, **kwargs)
        self.user = user
        scopes = [(PERSONAL, _("Only me"))]
        groups = SupportGroup.objects.filter(is_active=True).order_by("name")
        if not MacroPolicy.is_admin(user):
            groups = groups.filter(manager=user)
        self.fields["group"].queryset = groups
        if MacroPolicy.is_admin(user) or groups.exists():
            scopes.append((GROUP, _("A support group's members")))
        if MacroPolicy.is_admin(user):
            scopes.append((GLOBAL, _("Every agent")))
        self.fields["scope"].choices = scopes
        self.fields["scope"].initial = PERSONAL
        self.fields["kinds"].choices = [(kind.code, kind.label) for kind in macro_kinds()]
        for name, (label, choices) in change_fields().items():
            self.fields[CHANGE_PREFIX + name] = forms.ChoiceField(
                label=label, required=False, choices=[("", _("No change")), *choices]
            )

    @staticmethod
    def initial_from(macro: Macro) -> dict:
        scope = PERSONAL if macro.owner_id else GROUP if macro.group_id else GLOBAL
        initial = {
            "name": macro.name,
            "body": macro.body,
            "is_public": "1" if macro.is_public else "0",
            "scope": scope,
            "group": macro.group_id,
            "kinds": macro.kinds,
            "is_active": macro.is_active,
        }
        initial.update({CHANGE_PREFIX + name: value for name, value in macro.changes.items()})
        return initial

    def change_fields(self):
        return [self[name] for name in self.fields if name.startswith(CHANGE_PREFIX)]

    def clean(self):
        data = super().clean()
        if data.get("scope") == GROUP and not data.get("group"):
            self.add_error("group", _("Choose the group to share it with."))
        return data

    def values(self, macro: Macro | None = None) -> dict:
        """The service's keyword arguments (`macro_create` / `macro_update`); a personal macro stays its
        owner's when an administrator edits it."""
        data = self.cleaned_data
        owner = macro.owner if macro is not None and macro.owner_id else self.user
        scope = data["scope"]
        changes = {}
        for name, value in data.items():
            if name.startswith(CHANGE_PREFIX) and value not in (None, ""):
                field = name.removeprefix(CHANGE_PREFIX)
                changes[field] = int(value) if value.isdigit() else value
        return {
            "name": data["name"],
            "body": data["body"],
            "is_public": data["is_public"],
            "kinds": data["kinds"],
            "owner": owner if scope == PERSONAL else None,
            "group": data["group"] if scope == GROUP else None,
            "changes": changes,
            "is_active": data["is_active"],
        }
