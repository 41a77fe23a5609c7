from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.models import ApprovalDecision, User


class DecisionForm(forms.Form):
    """The approver's answer; the page's two buttons send `decision`."""

    decision = forms.ChoiceField(label=_("Decision"), choices=ApprovalDecision.Decision.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject: the requester reads it."),
    )


class DelegateForm(forms.Form):
    """An approver hands their decision to someone else, named by username or e-mail address."""

    delegate = forms.CharField(
        label=_("Delegate to"),
        max_length=254,
        help_text=_("Their username or e-mail address. They decide in your place; you no longer do."),
    )
    comment = forms.CharField(
        label=_("Note for them"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_delegate(self):
        value = self.cleaned_data["delegate"].strip()
        found = list(User.objects.filter(username__iexact=value)[:1]) or list(
            User.objects.filter(email__iexact=value)[:2]
        )
        if len(found) != 1:
            raise forms.ValidationError(_("Name one person by their username or e-mail address."))
        return found[0]


class CancelForm(forms.Form):
    """Someone allowed to cancel approvals withdraws a pending request."""

    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
