"""Where a page sends a person back to."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str) -> str:
    """Where to go back to: the posted `next` or the referrer when it is on this site, else `fallback`."""
    for candidate in (request.POST.get("next"), request.GET.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback
