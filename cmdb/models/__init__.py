from .baselines import Baseline, BaselineItem
from .classes import CIClass
from .imports import ImportJob, ImportRow
from .items import ConfigurationItem
from .relationships import CIRelationship, RelationshipType

__all__ = [
    "Baseline",
    "BaselineItem",
    "CIClass",
    "CIRelationship",
    "ConfigurationItem",
    "ImportJob",
    "ImportRow",
    "RelationshipType",
]
