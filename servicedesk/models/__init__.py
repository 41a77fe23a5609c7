from .audit import AuditEvent
from .people import Organisation, SupportGroup, User
from .tokens import ApiToken

__all__ = ["ApiToken", "AuditEvent", "Organisation", "SupportGroup", "User"]
