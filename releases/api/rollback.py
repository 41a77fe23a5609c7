"""Rolling a release back through the API (`/api/v1/releases/{number}/rollback/`)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.decorators import action

from servicedesk.api.conditional import expected_version
from servicedesk.api.records import record_writes
from servicedesk.api.schema import error_responses_for

from ..services.rollback import MAX_REASON, release_rollback

MAX_WAVES = 100


class ReleaseRollbackInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON, help_text=_("Why the release is rolled back."))
    waves = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        min_length=1,
        max_length=MAX_WAVES,
        help_text=_("The waves to roll back (ids); every wave that ran when left out."),
    )


class RollbackActions:
    """The rollback action of the release resource (mixed into `ReleaseViewSet`)."""

    @record_writes(
        "Roll back waves of the release (or every wave that ran): their CIs restored from the baseline",
        ReleaseRollbackInputSerializer,
        error_responses_for("403", "409", "412"),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def rollback(self, request, number=None):
        """Release managers. The CIs of the waves' started tasks get back the version and attributes of
        the baseline taken at the go/no-go (their history "release:REL…"); the release becomes Rolled
        back, `rollback_extent` `partial` while a wave that succeeded stays deployed, else `full`. 400 for
        a missing reason or a wave of another release; 409 `not_rollbackable` (the release is not
        deploying, deployed, failed or rolled back), `no_baseline`, `wave_not_rollbackable` (a wave that
        did not run, or is rolled back already) or `nothing_ran`; 412 with a stale If-Match."""
        record = self.get_object()
        data = ReleaseRollbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = release_rollback(
            release=record,
            actor=request.user,
            reason=data.validated_data["reason"],
            waves=data.validated_data.get("waves"),
            expected_version=expected_version(request, record),
        )
        return self.render(record)
