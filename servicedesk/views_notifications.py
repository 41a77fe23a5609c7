"""The page where a person chooses which notification e-mails they get."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import NotificationEvent
from .services.notifications import (
    notification_events_for,
    notification_preferences_get,
    notification_preferences_set,
)


class NotificationPreferencesForm(forms.Form):
    events = forms.MultipleChoiceField(
        label=gettext_lazy("E-mail me when"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(NotificationEvent.choices)
        self.fields["events"].choices = [(event, labels[event]) for event in events]


@login_required
def notification_preferences(request):
    """One checkbox per event that can concern the user; unticked ones are turned off."""
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
