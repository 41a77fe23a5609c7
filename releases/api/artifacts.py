"""The definitive software library of a release through the API (`/api/v1/releases/{number}/artifacts/`)."""


class ArtifactActions:
    """The artifact actions of the release resource (mixed into `ReleaseViewSet`)."""
