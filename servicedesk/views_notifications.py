"""The page where a person chooses which notification e-mails they get."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .notifications.registry import AGENT, REQUESTER, notification_event
from .services.notifications import (
    notification_events_for,
    notification_preferences_get,
    notification_preferences_set,
)

# The page's sections: an event goes under the first audience of its own that the person belongs to.
SECTIONS = {
    REQUESTER: gettext_lazy("About records I filed or follow"),
    AGENT: gettext_lazy("About records I work on"),
}


class NotificationPreferencesForm(forms.Form):
    events = forms.MultipleChoiceField(
        label=gettext_lazy("E-mail me when"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(event, notification_event(event).label) for event in events]

    def sections(self):
        """(heading, checkboxes) for each audience that has events here, in the events' order."""
        grouped = {audience: [] for audience in SECTIONS}
        for checkbox in self["events"]:
            audience = notification_event(checkbox.data["value"]).audience
            grouped[REQUESTER if REQUESTER in audience else AGENT].append(checkbox)
        return [(SECTIONS[audience], boxes) for audience, boxes in grouped.items() if boxes]


@login_required
def notification_preferences(request):
    """One checkbox per registered event that can concern the user, by audience; unticked ones are off."""
    form = NotificationPreferencesForm(
        request.POST or None,
        events=notification_events_for(request.user),
        initial={"events": notification_preferences_get(user=request.user)},
    )
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user=request.user, enabled_events=form.cleaned_data["events"])
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_preferences")
    return render(request, "servicedesk/notification_preferences.html", {"form": form})
