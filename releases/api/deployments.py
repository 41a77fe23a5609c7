"""A release's deployment through the API (`/api/v1/releases/{number}/deployments/...`)."""


class DeploymentActions:
    """The wave and task actions of the release resource (mixed into `ReleaseViewSet`)."""
