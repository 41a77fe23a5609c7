"""The artifacts panel's upload form: a file (or a URI kept elsewhere) with its name, version and role;
it validates shapes only, the service decides (`services.artifacts`)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Artifact


class ArtifactUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False, allow_empty_file=False)
    uri = forms.CharField(
        label=_("Or its URI"),
        max_length=1000,
        required=False,
        help_text=_("For an artifact kept elsewhere; its SHA-256 is then required."),
    )
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, help_text=_("The file's name when left empty.")
    )
    artifact_version = forms.CharField(label=_("Version"), max_length=64)
    role = forms.ChoiceField(label=_("Role"), choices=Artifact.Role.choices, initial=Artifact.Role.PACKAGE)
    sha256 = forms.CharField(
        label=_("SHA-256"),
        max_length=71,
        required=False,
        help_text=_("The checksum you expect: a file that differs is refused."),
    )
    media_type = forms.CharField(label=_("Media type"), max_length=100, required=False)
    manifest = forms.CharField(
        label=_("Manifest"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('What a deployment sets on the CI: {"version": "…", "attributes": {…}}.'),
    )

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("uri") and "file" not in self.errors:
            raise ValidationError({"file": _("Choose a file, or give the artifact's URI.")})
        if data.get("uri") and not data.get("sha256"):
            self.add_error("sha256", _("An artifact kept elsewhere needs its SHA-256."))
        return data
