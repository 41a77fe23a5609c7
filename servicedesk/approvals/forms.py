from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.models import ApprovalDecision


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
