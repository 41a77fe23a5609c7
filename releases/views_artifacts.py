"""The definitive software library on the release page: the artifacts panel, upload, download, verify."""


def artifacts_context(request, record) -> dict:
    """What `releases/_artifacts.html` draws for this person on this release's page."""
    return {}
