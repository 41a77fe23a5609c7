import zoneinfo

from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import gettext_lazy as _

from .forms_merge import MergeModelFormMixin
from .models import User
from .services.accounts import password_reset_request, password_set


def _time_zone_choices():
    return [("", _("The site's time zone"))] + [
        (name, name) for name in sorted(zoneinfo.available_timezones())
    ]


class ProfileForm(MergeModelFormMixin, forms.ModelForm):
    """One's own details; a save writes what this form changed, not what another tab saved meanwhile."""

    language = forms.ChoiceField(label=_("Preferred language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=_time_zone_choices)

    class Meta:
        model = User
        fields = ["full_name", "phone", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The browser's language"))] + list(settings.LANGUAGES)


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for."))
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave empty for a token that does not expire."),
    )


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    """Hand the request to the service (rate-limited, the same work for known and unknown addresses);
    the worker looks the address up and writes the e-mail to the outbox."""

    def save(self, domain_override=None, use_https=False, request=None, **kwargs):
        domain = domain_override or get_current_site(request).domain
        password_reset_request(
            email=self.cleaned_data["email"],
            domain=domain,
            use_https=use_https,
            client_address=get_client_ip_address(request) if request is not None else None,
        )


class AuditedSetPasswordForm(auth_forms.SetPasswordForm):
    reason = "reset"

    def save(self, commit=True):
        return password_set(
            user=self.user, actor=self.user, password=self.cleaned_data["new_password1"], reason=self.reason
        )


class AuditedPasswordChangeForm(auth_forms.PasswordChangeForm):
    def save(self, commit=True):
        return password_set(
            user=self.user, actor=self.user, password=self.cleaned_data["new_password1"], reason="change"
        )
