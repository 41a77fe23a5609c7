"""The shapes every record kind's API shares: timeline entries, files, comments, transitions."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from servicedesk.markdown import render_markdown

from .serializers import AllowedTransitionSerializer, UserSummarySerializer


class AttachmentSerializer(serializers.Serializer):
    """A file on the record's timeline; `url` downloads it through the record (context: `record_url`)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    media_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    is_public = serializers.BooleanField(source="entry.is_public")
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return f"{self.context['record_url']}attachments/{attachment.pk}/"


class EntryAttachmentSerializer(AttachmentSerializer):
    """An attachment inside its timeline entry (public as the entry is)."""

    is_public = None


class TimelineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    is_public = serializers.BooleanField()
    author = UserSummarySerializer(allow_null=True)
    body = serializers.CharField()
    body_html = serializers.SerializerMethodField()
    data = serializers.JSONField()
    attachments = EntryAttachmentSerializer(many=True)
    created_at = serializers.DateTimeField()

    def get_body_html(self, entry) -> str:
        return str(render_markdown(entry.body))


class TransitionsSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=_("The record's status now."))
    allowed = AllowedTransitionSerializer(many=True)


class TransitionConflictSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField())
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("With `invalid_transition`: the statuses you may move the record to now."),
    )


class BooleanDefaultTrue(serializers.BooleanField):
    """A boolean that is true when a form (multipart) leaves it out, as it is when JSON leaves it out."""

    default_empty_html = empty

    def __init__(self, **kwargs):
        super().__init__(default=True, **kwargs)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    is_public = BooleanDefaultTrue(help_text=_("False: an internal work note (agents only)."))
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text=_("Multipart only.")
    )


class AttachmentInputSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)
    is_public = BooleanDefaultTrue(help_text=_("False: an internal file (agents only)."))
