"""Rolling a release back through the API (`/api/v1/releases/{number}/rollback/`)."""


class RollbackActions:
    """The rollback action of the release resource (mixed into `ReleaseViewSet`)."""
