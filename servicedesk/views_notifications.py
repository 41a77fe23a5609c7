"""The page where a person chooses which notifications they get: each event, by e-mail and in the app."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import NotificationOptOut
from .notifications.registry import AGENT, REQUESTER, notification_event
from .services.notifications_preferences import (
    notification_events_for,
    notification_preferences_get,
    notification_preferences_set,
)

# The page's sections: an event goes under the first audience of its own that the person belongs to.
SECTIONS = {
    REQUESTER: gettext_lazy("About records I filed or follow"),
    AGENT: gettext_lazy("About records I work on"),
}
CHANNELS = {
    NotificationOptOut.Channel.EMAIL: gettext_lazy("E-mail"),
    NotificationOptOut.Channel.IN_APP: gettext_lazy("In the app"),
}


class NotificationPreferencesForm(forms.Form):
    """One multiple choice per channel (field names are the channels' codes: `email`, `in_app`)."""

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = list(events)
        choices = [(event, notification_event(event).label) for event in self.events]
        for channel, label in CHANNELS.items():
            self.fields[channel] = forms.MultipleChoiceField(
                label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
            )

    def sections(self):
        """(heading, rows) for each audience that has events here, in the events' order; a row is
        (event code, label, [(channel, channel label, checked), ...])."""
        chosen = {channel: set(self[channel].value() or ()) for channel in CHANNELS}
        grouped = {audience: [] for audience in SECTIONS}
        for event in self.events:
            event_type = notification_event(event)
            boxes = [(channel, label, event in chosen[channel]) for channel, label in CHANNELS.items()]
            audience = REQUESTER if REQUESTER in event_type.audience else AGENT
            grouped[audience].append((event, event_type.label, boxes))
        return [(SECTIONS[audience], rows) for audience, rows in grouped.items() if rows]

    def channels(self):
        return list(CHANNELS.items())


@login_required
def notification_preferences(request):
    """A table of the registered events that can concern the user, by audience, with a checkbox per
    channel (e-mail, in the app); unticked ones are off on that channel."""
    form = NotificationPreferencesForm(
        request.POST or None,
        events=notification_events_for(request.user),
        initial={
            channel: notification_preferences_get(user=request.user, channel=channel) for channel in CHANNELS
        },
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for channel in CHANNELS:
                notification_preferences_set(
                    user=request.user, enabled_events=form.cleaned_data[channel], channel=channel
                )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_preferences")
    return render(request, "servicedesk/notification_preferences.html", {"form": form})
