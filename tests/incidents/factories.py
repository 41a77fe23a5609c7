import factory

from cmdb.models import CIClass, ConfigurationItem
from incidents.models import Category, Incident, RequestType
from servicedesk.services.numbering import number_allocate

from ..factories import UserFactory


class BusinessServiceFactory(factory.django.DjangoModelFactory):
    """A business-service CI: the catalogue entry records are filed against."""

    class Meta:
        model = ConfigurationItem
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    ci_class = factory.LazyFunction(lambda: CIClass.objects.get(code="business_service"))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class RequestTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestType

    name = factory.Sequence(lambda n: f"Request type {n}")
    service = factory.SubFactory(BusinessServiceFactory)


class IncidentFactory(factory.django.DjangoModelFactory):
    """A record written straight to the table (tests of reads); use the services to test writes."""

    class Meta:
        model = Incident
        skip_postgeneration_save = True

    kind = Incident.Kind.INCIDENT
    number = factory.LazyAttribute(
        lambda o: number_allocate(prefix="INC" if o.kind == "incident" else "REQ")[0]
    )
    title = factory.Sequence(lambda n: f"Something is broken {n}")
    description = "It stopped working this morning."
    requester = factory.SubFactory(UserFactory, roles=["Requester"])
    priority = 4


class RequestFactory(IncidentFactory):
    kind = Incident.Kind.REQUEST
    request_type = factory.SubFactory(RequestTypeFactory)
