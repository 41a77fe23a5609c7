"""The release pages' rollback actions (names in the `release_rollback` namespace)."""

app_name = "release_rollback"

urlpatterns: list = []
