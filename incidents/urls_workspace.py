"""Agent workspace addresses (names in the `incidents` namespace)."""

urlpatterns = []
