"""The definitive software library of a release through the API (`/api/v1/releases/{number}/artifacts/`).

- `GET artifacts/`: the library, for whoever sees the release;
- `POST artifacts/`: a file (multipart: `file`, `name`, `artifact_version`, `role`, the declared `sha256`,
  `media_type`, `manifest` as JSON text), streamed to disk with its checksum computed on the way
  (`releases.uploads`); or an artifact kept elsewhere (`uri` and `sha256`, JSON or form);
- `GET artifacts/{id}/download/`: the file, as a download, for who may (`ReleasePolicy.can_download`);
- `DELETE artifacts/{id}/` (or `POST artifacts/{id}/remove/`): before the go/no-go only;
- `POST artifacts/verify/`: recompute every stored checksum and report drift.
"""

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.parsers import JSONParser
from servicedesk.api.records import NUMBER_PARAMETER
from servicedesk.api.schema import error_responses_for
from servicedesk.api.serializers import UserSummarySerializer
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.inputs import form_null_check, reads_own_uploads

from ..models import Artifact
from ..permissions import ReleasePolicy
from ..services.artifacts import (
    artifact_register_uri,
    artifact_remove,
    artifact_upload,
    artifacts_verify,
    manifest_parse,
)
from ..uploads import DSLUploadHandler

ARTIFACT_PARAMETER = OpenApiParameter(
    name="artifact_id",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.PATH,
    description="The artifact's id.",
)
SHA256_HELP = gettext_lazy("SHA-256 of the file, 64 hex digits.")


class ArtifactSerializer(serializers.ModelSerializer):
    """One artifact: what it is, its checksum and what the last verification found; `download` is its
    file's address (null for one kept elsewhere, at `uri`)."""

    uploaded_by = UserSummarySerializer(allow_null=True)
    stored = serializers.BooleanField(source="is_stored", help_text=gettext_lazy("Kept in this library."))
    download = serializers.SerializerMethodField()

    class Meta:
        model = Artifact
        fields = [
            "id",
            "name",
            "artifact_version",
            "role",
            "sha256",
            "size",
            "media_type",
            "stored",
            "uri",
            "download",
            "manifest",
            "uploaded_at",
            "uploaded_by",
            "check_result",
            "found_sha256",
            "verified_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download(self, artifact) -> str | None:
        if not artifact.is_stored:
            return None
        return reverse(
            "release-artifact-download",
            kwargs={"number": self.context["number"], "artifact_id": artifact.pk},
        )


class ArtifactFieldsInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    artifact_version = serializers.CharField(max_length=64)
    role = serializers.ChoiceField(choices=Artifact.Role.choices, default=Artifact.Role.PACKAGE)
    media_type = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ArtifactUploadInputSerializer(ArtifactFieldsInputSerializer):
    """A file (multipart); `name` defaults to the file's name."""

    file = serializers.FileField(help_text=gettext_lazy("The file, streamed to the library."))
    sha256 = serializers.CharField(
        max_length=71,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "The checksum you expect; the upload is refused (nothing kept) if it differs."
        ),
    )
    manifest = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100_000,
        help_text=gettext_lazy(
            'JSON object: what a successful deployment sets on the CI, {"version": ..., "attributes": {...}}.'
        ),
    )


class ArtifactURIInputSerializer(ArtifactFieldsInputSerializer):
    """An artifact kept elsewhere, named by its URI and the checksum its publisher gives."""

    name = serializers.CharField(max_length=200)
    uri = serializers.CharField(max_length=1000)
    sha256 = serializers.CharField(max_length=71, help_text=SHA256_HELP)
    size = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, allow_null=True, default=None
    )
    manifest = serializers.JSONField(required=False, default=dict)


class ArtifactCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    artifact_version = serializers.CharField()
    check_result = serializers.ChoiceField(
        choices=Artifact.Check.choices, help_text=gettext_lazy("ok, drift, missing or external.")
    )
    sha256 = serializers.CharField(help_text=gettext_lazy("Recorded when it was added."))
    found_sha256 = serializers.CharField(help_text=gettext_lazy("Computed now; empty when not verifiable."))


class ArtifactActions:
    """The artifact actions of the release resource (mixed into `ReleaseViewSet`)."""

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        if (actions or {}).get("post") == "artifacts":
            # The upload's body is read through `DSLUploadHandler`, installed in `initial`.
            reads_own_uploads(view)
        return view

    def initial(self, request, *args, **kwargs):
        # Before authentication: a session's CSRF check reads the form, and with it the file.
        if getattr(self, "action", None) == "artifacts" and request.method == "POST":
            self.dsl_upload = DSLUploadHandler(request._request)
            request._request.upload_handlers = [self.dsl_upload]
        super().initial(request, *args, **kwargs)

    def _artifact(self, record, artifact_id) -> Artifact:
        artifact = record.artifacts.filter(pk=int(artifact_id)).select_related("release").first()
        if artifact is None:
            raise NotFound()
        return artifact

    def _artifact_rows(self, record, artifacts) -> list:
        return ArtifactSerializer(artifacts, many=True, context={"number": record.number}).data

    @extend_schema(
        methods=["GET"],
        summary="The release's definitive software library",
        responses={200: ArtifactSerializer(many=True)},
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an artifact: a file (multipart, its checksum computed while written) or a URI with its "
        "checksum (before the go/no-go)",
        description="400 `checksum_mismatch` on `sha256` when the file received differs from the declared "
        "checksum (nothing is kept); 400 `file_too_large` on `file` beyond the library's limit; 409 "
        "`artifacts_frozen` from the go/no-go on.",
        request={
            "multipart/form-data": ArtifactUploadInputSerializer,
            "application/json": ArtifactURIInputSerializer,
        },
        responses={201: ArtifactSerializer, **error_responses_for("403", "409")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[JSONParser, parsers.MultiPartParser],
    )
    def artifacts(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            rows = record.artifacts.select_related("uploaded_by").order_by("role", "name", "id")
            return Response(self._artifact_rows(record, rows))
        upload = getattr(self, "dsl_upload", None)
        if upload is not None:
            upload.check()
            form_null_check(request._request)
        if isinstance(request.data, dict) and "uri" in request.data:  # a JSON body may be null or a list
            data = ArtifactURIInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            artifact = artifact_register_uri(release=record, actor=request.user, **data.validated_data)
        else:
            data = ArtifactUploadInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fields = dict(data.validated_data)
            artifact = artifact_upload(
                release=record,
                actor=request.user,
                upload=fields.pop("file"),
                declared_sha256=fields.pop("sha256"),
                manifest=manifest_parse(fields.pop("manifest")),
                **fields,
            )
        return Response(self._artifact_rows(record, [artifact])[0], status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Recompute every stored artifact's checksum and report drift (agents)",
        request=None,
        responses={200: ArtifactCheckSerializer(many=True), **error_responses_for("403")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True, methods=["post"], url_path="artifacts/verify", filter_backends=[], pagination_class=None
    )
    def verify_artifacts(self, request, number=None):
        record = self.get_object()
        results = artifacts_verify(release=record, actor=request.user)
        return Response(ArtifactCheckSerializer(results, many=True).data)

    @extend_schema(
        summary="Download an artifact's file (those who see every release)",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, as a download."),
            **error_responses_for("403"),
        },
        parameters=[NUMBER_PARAMETER, ARTIFACT_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"artifacts/(?P<artifact_id>\d+)/download",
        filter_backends=[],
        pagination_class=None,
    )
    def artifact_download(self, request, number=None, artifact_id=None):
        record = self.get_object()
        if not ReleasePolicy.can_download(request.user, record):
            raise PermissionDenied(_("The artifacts are for those who work releases."))
        artifact = self._artifact(record, artifact_id)
        if not artifact.is_stored:
            raise NotFound(_("This artifact is kept elsewhere: %(uri)s") % {"uri": artifact.uri})
        try:
            handle = artifact.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The file is missing from the library.")) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=artifact.name,
            content_type=artifact.media_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        summary="Take an artifact out of the library (before the go/no-go)",
        request=None,
        responses={204: None, **error_responses_for("403", "409")},
        parameters=[NUMBER_PARAMETER, ARTIFACT_PARAMETER],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"artifacts/(?P<artifact_id>\d+)",
        filter_backends=[],
        pagination_class=None,
    )
    def delete_artifact(self, request, number=None, artifact_id=None):
        """409 `artifacts_frozen` from the go/no-go on; 409 `artifact_in_use` while a wave deploys it."""
        record = self.get_object()
        artifact_remove(artifact=self._artifact(record, artifact_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Take an artifact out of the library (as DELETE, for clients that only POST)",
        request=None,
        responses={204: None, **error_responses_for("403", "409")},
        parameters=[NUMBER_PARAMETER, ARTIFACT_PARAMETER],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"artifacts/(?P<artifact_id>\d+)/remove",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_artifact(self, request, number=None, artifact_id=None):
        record = self.get_object()
        artifact_remove(artifact=self._artifact(record, artifact_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
