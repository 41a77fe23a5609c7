"""Every write of the desk's foundation. Each service takes the acting user and records an audit event."""

from .audit import audit_record

__all__ = ["audit_record"]
