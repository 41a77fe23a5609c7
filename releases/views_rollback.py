"""Rolling back on the release page: of a wave, or of the whole release."""


def rollback_context(request, record) -> dict:
    """What `releases/_rollback.html` draws for this person on this release's page."""
    return {}
