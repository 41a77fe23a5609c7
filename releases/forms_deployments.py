"""The forms of the deployment on the release page: a wave to add, a gate to pass, a wave to retry or
remove. They validate shape only; the services (`services/waves.py`, `services/deployment.py`) decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from cmdb.pickers import CIS
from servicedesk.fields import TextareaField
from servicedesk.pickers import use_picker

from .models import Artifact, Wave

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _when(label) -> forms.DateTimeField:
    """A date and time typed in the person's own time zone (the middleware activates it)."""
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class WaveForm(forms.Form):
    """A wave after the others: its CIs (or an environment of the release's target CIs), window, gate
    and the package it deploys."""

    name = forms.CharField(label=_("Name"), max_length=200)
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label=_("CIs")
    )
    environment = forms.ChoiceField(
        label=_("Or every target CI of the environment"),
        required=False,
        choices=[("", _("None: the CIs named")), *ConfigurationItem.Environment.choices],
    )
    planned_start = _when(_("Window start"))
    planned_end = _when(_("Window end"))
    gate = forms.ChoiceField(label=_("Gate"), choices=Wave.Gate.choices, initial=Wave.Gate.MANUAL)
    artifact = forms.ModelChoiceField(
        queryset=Artifact.objects.none(),
        required=False,
        label=_("Package"),
        empty_label=_("The release's only package"),
    )

    def __init__(self, *args, release, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cis"].queryset = ConfigurationItem.objects.select_related("ci_class").order_by(
            "name", "pk"
        )
        use_picker(
            self.fields["cis"], CIS, menu=release.target_cis.select_related("ci_class").order_by("name")[:20]
        )
        self.fields["artifact"].queryset = release.artifacts.filter(role=Artifact.Role.PACKAGE).order_by(
            "name", "pk"
        )


class WaveStartForm(forms.Form):
    """Start a wave at its gate (or retry a failed one), with the reason it runs despite its window."""

    override_reason = TextareaField(
        label=_("Why it runs despite its window"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when its window is in a freeze or outside a maintenance window."),
    )


class WaveRemoveForm(forms.Form):
    """Remove a pending wave at the revision the page showed."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
