"""The rollback form of the release page: why, and which waves (every wave that ran, unless narrowed)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.fields import TextareaField

from .models import Release
from .services.rollback import MAX_REASON, rollback_waves


class RollbackForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = TextareaField(
        label=_("Why roll back"), widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_REASON
    )
    waves = forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Waves to roll back"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their CIs get back what the baseline taken at the go/no-go holds."),
    )

    def __init__(self, *args, record: Release, **kwargs):
        waves = list(rollback_waves(record))
        super().__init__(*args, initial={"version": record.version, "waves": waves}, **kwargs)
        field = self.fields["waves"]
        field.queryset = record.waves.filter(pk__in=[wave.pk for wave in waves]).order_by("position", "pk")
        field.label_from_instance = lambda wave: f"{wave.position}. {wave.name} · {wave.get_status_display()}"
