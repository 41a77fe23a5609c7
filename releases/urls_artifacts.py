"""The release pages' artifacts actions (names in the `release_artifacts` namespace)."""

app_name = "release_artifacts"

urlpatterns: list = []
