"""Requester portal addresses (names in the `incidents` namespace)."""

urlpatterns = []
