"""The admin of webhook subscriptions and their delivery log.

Every write goes through `servicedesk.services.webhooks`, which validates and audits; so these admins do
not use `AuditedAdmin`, whose own audit would double each write. The signing secret is shown once, in a
message after adding a subscription or rotating its secret, and never on the change form.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin import MergingAdmin, ReadOnlyAdmin
from .errors import ApplicationError
from .models import OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .services.webhooks import (
    webhook_events,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)

LOG_ROWS = 10
FORM_FIELDS = ["name", "url", "events", "is_active"]


def _event_choices():
    return [(event, event) for event in webhook_events()]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=_event_choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "is_active"]


def _show_secret(request, subscription, secret):
    messages.success(
        request,
        format_html(
            "{} <code>{}</code>",
            _("The signing secret of “%(name)s”; it is shown only now, store it:") % {"name": subscription},
            secret,
        ),
    )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(MergingAdmin):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "is_active", "event_count", "created_by", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["created_by"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_by", "created_at", "updated_at", "delivery_log"]
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        return FORM_FIELDS if obj is None else [*FORM_FIELDS, *self.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("secret")

    @admin.display(description=_("events"))
    def event_count(self, subscription):
        return len(subscription.events or [])

    def save_model(self, request, obj, form, change):
        # Only what this person changed is left in the form's data (MergingAdmin).
        fields = {name: form.cleaned_data[name] for name in FORM_FIELDS if name in form.cleaned_data}
        if change:
            original = WebhookSubscription.objects.get(pk=obj.pk)
            webhook_subscription_update(actor=request.user, subscription=original, **fields)
            return
        subscription, secret = webhook_subscription_create(actor=request.user, **fields)
        # The admin goes on with `obj` (the log entry, the redirect): make it the saved row.
        obj.pk = subscription.pk
        obj.created_at, obj.updated_at = subscription.created_at, subscription.updated_at
        obj._state.adding = False
        _show_secret(request, subscription, secret)

    def delete_model(self, request, obj):
        webhook_subscription_delete(actor=request.user, subscription=obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_delete(actor=request.user, subscription=subscription)

    @admin.action(
        description=_("Rotate the signing secret (the new one is shown once)"), permissions=["change"]
    )
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            _show_secret(
                request, subscription, webhook_secret_rotate(actor=request.user, subscription=subscription)
            )

    @admin.display(description=_("delivery log"))
    def delivery_log(self, subscription):
        if subscription.pk is None:
            return "-"
        deliveries = _annotated(WebhookDelivery.objects.filter(subscription=subscription))[:LOG_ROWS]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{d.created_at:%Y-%m-%d %H:%M:%S}",
                    d.event,
                    d.message.get_state_display(),
                    d.attempt_count,
                    d.last_status_code or "-",
                    "-" if d.last_duration_ms is None else f"{d.last_duration_ms} ms",
                )
                for d in deliveries
            ),
        )
        link = (
            reverse("admin:servicedesk_webhookdelivery_changelist")
            + f"?subscription__id__exact={subscription.pk}"
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("Created"),
            _("Event"),
            _("State"),
            _("Attempts"),
            _("Response code"),
            _("Duration"),
            rows,
            link,
            _("All deliveries of this subscription"),
        )


def _annotated(queryset):
    """Deliveries with their message, attempt count and the last attempt's code and duration."""
    last = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-attempted_at", "-id")
    return (
        queryset.select_related("message", "subscription")
        .annotate(
            attempt_count=Count("attempts"),
            last_status_code=Subquery(last.values("status_code")[:1]),
            last_duration_ms=Subquery(last.values("duration_ms")[:1]),
        )
        .order_by("-id")
    )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("servicedesk.view_webhookdelivery")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log, read-only, with a redeliver action for delivered and dead deliveries."""

    list_display = [
        "created_at",
        "subscription",
        "event",
        "state",
        "attempt_count",
        "last_status_code",
        "last_duration",
        "redelivery_of",
    ]
    list_filter = ["subscription", "event", ("message__state", admin.ChoicesFieldListFilter)]
    search_fields = ["=event_id", "event"]
    date_hierarchy = "created_at"
    fields = ["subscription", "event", "event_id", "state", "message", "redelivery_of", "created_at"]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def get_queryset(self, request):
        return _annotated(super().get_queryset(request))

    def has_redeliver_permission(self, request):
        return request.user.has_perm("servicedesk.change_webhooksubscription")

    @admin.display(description=_("state"), ordering="message__state")
    def state(self, delivery):
        return delivery.message.get_state_display()

    @admin.display(description=_("attempts"), ordering="attempt_count")
    def attempt_count(self, delivery):
        return delivery.attempt_count

    @admin.display(description=_("response code"))
    def last_status_code(self, delivery):
        return delivery.last_status_code

    @admin.display(description=_("duration"))
    def last_duration(self, delivery):
        return None if delivery.last_duration_ms is None else f"{delivery.last_duration_ms} ms"

    @admin.action(description=_("Redeliver the selected deliveries"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        sent, refused = 0, []
        for delivery in queryset.exclude(message__state=OutboxMessage.State.PENDING):
            try:
                webhook_redeliver(actor=request.user, delivery=delivery)
                sent += 1
            except ApplicationError as exc:
                refused.append(f"{delivery}: {exc.message}")
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again.", "%(count)d deliveries will be sent again.", sent
            )
            % {"count": sent},
        )
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
