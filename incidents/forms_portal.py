"""Requester portal forms. They check the shape of what was typed; the services decide the rest."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cmdb.pickers import SERVICES
from cmdb.selectors import business_service_list
from servicedesk.fields import MultipleFileField
from servicedesk.pickers import use_picker

# Urgency as a requester would put it (DESIGN.md §4: "urgency in words"); impact is the desk's call.
URGENCY_CHOICES = [
    (1, _("I cannot work")),
    (2, _("My work is slowed down")),
    (3, _("It is an inconvenience")),
]
RATING_CHOICES = [
    (5, _("5 · Excellent")),
    (4, _("4 · Good")),
    (3, _("3 · Fair")),
    (2, _("2 · Poor")),
    (1, _("1 · Very poor")),
]
RADIOS = {"class": "form-check-input"}
MARKDOWN_HELP = _("You may use Markdown: **bold**, *italic*, lists, `code` and links.")


class PortalForm(forms.Form):
    # Mark only what is wrong: a green "valid" file input would suggest the chosen file was kept.
    success_css_class = ""


def _urgency_field(**kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("How much does this affect your work?"),
        choices=URGENCY_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs=RADIOS),
        **kwargs,
    )


class IncidentForm(PortalForm):
    """Report a problem: something is broken or does not work as it should."""

    title = forms.CharField(
        label=_("What is wrong?"),
        max_length=200,
        help_text=_("A short summary, for example “Outlook does not start”."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=format_lazy("{} {}", _("What happened, since when, and any error message."), MARKDOWN_HELP),
    )
    service = forms.ModelChoiceField(
        label=_("Which service is affected?"),
        queryset=business_service_list().order_by("name"),
        required=False,
        empty_label=_("I don't know"),
    )
    urgency = _urgency_field(initial=2)
    attachments = MultipleFileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The catalogue may list thousands of services: typed, not scrolled.
        use_picker(self.fields["service"], SERVICES)


class RequestForm(PortalForm):
    """Request something from the catalogue; the request type is chosen before the form."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=format_lazy("{} {}", _("Anything the team needs to know."), MARKDOWN_HELP),
    )
    urgency = _urgency_field()
    attachments = MultipleFileField()

    def __init__(self, *args, request_type, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("title", request_type.name)
        kwargs["initial"].setdefault("urgency", request_type.urgency)
        super().__init__(*args, **kwargs)


class ReplyForm(PortalForm):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=MARKDOWN_HELP,
    )
    attachments = MultipleFileField()


class CloseForm(PortalForm):
    """Confirm the resolution, with an optional rating."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    csat_score = forms.TypedChoiceField(
        label=_("How satisfied are you? (optional)"),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs=RADIOS),
    )
    csat_comment = forms.CharField(
        label=_("Comment (optional)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReasonForm(PortalForm):
    """Reopen or withdraw: both need the requester's reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RateForm(PortalForm):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs=RADIOS),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
