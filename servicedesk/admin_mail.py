"""The admin of mailboxes and the inbound e-mail log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin import AuditedAdmin, ReadOnlyAdmin
from .kinds import record_kinds
from .models import InboundEmail, Mailbox
from .services.mailboxes import mailbox_poll, mailbox_test_connection


def _mail_kind_choices():
    kinds = {kind.code: kind.label for kind in record_kinds() if kind.mail is not None}
    return list(kinds.items())


class MailboxAdminForm(forms.ModelForm):
    """The password is write-only: never sent back to the browser; left blank, the stored one stays."""

    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown. Leave empty to keep the current password."),
    )
    record_kind = forms.ChoiceField(label=_("new messages become"), choices=())

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "is_active",
            "record_kind",
            "host",
            "port",
            "security",
            "username",
            "password",
            "folder",
            "processed_folder",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["password"] = ""
        self.fields["record_kind"].choices = _mail_kind_choices()

    def clean_password(self):
        return self.cleaned_data["password"] or (self.instance.password if self.instance.pk else "")


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdmin):
    form = MailboxAdminForm
    list_display = ["name", "address", "is_active", "record_kind", "last_polled_at", "has_error"]
    list_filter = ["is_active", "record_kind"]
    search_fields = ["name", "address", "host"]
    readonly_fields = ["last_polled_at", "last_error"]
    actions = ["test_connection", "poll_now"]
    fieldsets = [
        (None, {"fields": ["name", "address", "is_active", "record_kind"]}),
        (_("IMAP server"), {"fields": ["host", "port", "security", "username", "password"]}),
        (_("Folders"), {"fields": ["folder", "processed_folder"]}),
        (_("Status"), {"fields": ["last_polled_at", "last_error"]}),
    ]

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, obj):
        return bool(obj.last_error)

    @admin.action(description=_("Test the connection of the selected mailboxes"), permissions=["change"])
    def test_connection(self, request, queryset):
        for mailbox in queryset:
            ok, text = mailbox_test_connection(mailbox=mailbox)
            self.message_user(
                request, f"{mailbox.name}: {text}", level=messages.SUCCESS if ok else messages.ERROR
            )

    @admin.action(description=_("Fetch new mail from the selected mailboxes now"), permissions=["change"])
    def poll_now(self, request, queryset):
        for mailbox in queryset:
            count = mailbox_poll(mailbox=mailbox)
            text = ngettext(
                "%(name)s: %(count)d message taken in.", "%(name)s: %(count)d messages taken in.", count
            ) % {"name": mailbox.name, "count": count}
            if mailbox.last_error:
                self.message_user(request, f"{text} {mailbox.last_error}", level=messages.ERROR)
            else:
                self.message_user(request, text, level=messages.SUCCESS)


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    """The log of what intake did with each message: read-only."""

    list_display = ["received_at", "sender", "subject", "result", "authenticated_by", "mailbox"]
    list_filter = ["result", "authenticated_by", "mailbox"]
    search_fields = ["sender", "subject", "=message_id"]
    date_hierarchy = "received_at"
    list_select_related = ["mailbox", "content_type"]
    fields = [
        "message_id",
        "received_at",
        "mailbox",
        "sender",
        "authenticated_by",
        "subject",
        "result",
        "detail",
        "record_link",
    ]
    readonly_fields = fields

    @admin.display(description=_("record"))
    def record_link(self, obj):
        if obj.content_type_id is None:
            return "—"
        try:
            record = obj.content_type.get_object_for_this_type(pk=obj.object_id)
        except ObjectDoesNotExist:
            return "—"
        number = getattr(record, "number", str(record))
        kinds = [kind for kind in record_kinds() if kind.model_class() is type(record)]
        try:
            url = reverse(kinds[0].url_name, args=[number]) if kinds else ""
        except NoReverseMatch:
            url = ""
        return format_html('<a href="{}">{}</a>', url, number) if url else number
