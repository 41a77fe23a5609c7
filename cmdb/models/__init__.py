from .classes import CIClass
from .items import ConfigurationItem
from .relationships import CIRelationship, RelationshipType

__all__ = ["CIClass", "CIRelationship", "ConfigurationItem", "RelationshipType"]
