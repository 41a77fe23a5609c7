import factory

from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType


def ci_class(code: str) -> CIClass:
    """One of the classes every CMDB starts with (seeded by migration)."""
    return CIClass.objects.get(code=code)


def relationship_type(code: str) -> RelationshipType:
    return RelationshipType.objects.get(code=code)


class CIFactory(factory.django.DjangoModelFactory):
    """A server in planning, written directly (test setup, not a service call)."""

    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"srv-{n:04}")
    ci_class = factory.LazyFunction(lambda: ci_class("server"))


class CIRelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CIRelationship

    source = factory.SubFactory(CIFactory)
    target = factory.SubFactory(CIFactory)
    type = factory.LazyFunction(lambda: relationship_type("runs_on"))
