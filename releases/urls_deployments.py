"""The release pages' deployments actions (names in the `release_deployments` namespace)."""

app_name = "release_deployments"

urlpatterns: list = []
