"""The watchers box's form: an agent adds a person (by the people picker) or an outside address."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User
from .pickers import PEOPLE, use_picker


class WatcherAddForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.filter(is_active=True), required=False
    )
    email = forms.EmailField(label=_("or an e-mail address"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The picker's preview lists nobody: the agent types a name (a desk has thousands of people).
        use_picker(self.fields["user"], PEOPLE, menu=[])

    def clean(self):
        data = super().clean()
        if not data.get("user") and not data.get("email"):
            raise ValidationError(_("Choose a person or enter an e-mail address."))
        return data
