import structlog


def current_correlation_id() -> str:
    """The id of the request or task being served (bound by django-structlog), or ''."""
    return str(structlog.contextvars.get_contextvars().get("request_id", ""))[:64]
