"""The deployment on the release page: the waves as a progress board, their planning and gates."""


def deployment_context(request, record) -> dict:
    """What `releases/_waves.html` draws for this person on this release's page."""
    return {}
