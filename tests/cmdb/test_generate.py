import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from cmdb.models import CIRelationship, ConfigurationItem


def _generate(**options):
    out = io.StringIO()
    call_command("cmdb_generate", stdout=out, **options)
    return out.getvalue()


def test_generates_the_requested_estate_in_layers(db):
    output = _generate(cis=500, relationships=1500, seed=3)

    assert ConfigurationItem.objects.count() == 500
    assert CIRelationship.objects.count() == 1500
    assert "Created 500 CIs and 1500 relationships" in output
    by_class = dict(ConfigurationItem.objects.values_list("ci_class__code").annotate(n=Count("id")))
    assert set(by_class) == {
        "business_service",
        "application",
        "database",
        "server",
        "network_device",
        "location",
    }
    assert by_class["server"] > by_class["application"] > by_class["business_service"]
    layers = set(
        CIRelationship.objects.values_list("source__ci_class__code", "type__code", "target__ci_class__code")
    )
    assert ("business_service", "depends_on", "application") in layers
    assert ("application", "runs_on", "server") in layers
    assert ("location", "contains", "server") in layers


def test_the_same_seed_makes_the_same_graph_shape(db):
    _generate(cis=200, relationships=600, seed=7)
    first = sorted(CIRelationship.objects.values_list("source__name", "target__name", "type__code"))
    CIRelationship.objects.all().delete()
    ConfigurationItem.objects.all().delete()
    _generate(cis=200, relationships=600, seed=7)

    assert sorted(CIRelationship.objects.values_list("source__name", "target__name", "type__code")) == first


def test_application_dependencies_close_cycles(db):
    _generate(cis=300, relationships=3000, seed=1)
    edges = {}
    for source, target in CIRelationship.objects.filter(type__code="depends_on").values_list(
        "source", "target"
    ):
        edges.setdefault(source, set()).add(target)

    def has_cycle():
        state = {}
        for start in edges:
            stack = [(start, iter(edges.get(start, ())))]
            state[start] = 1
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    return True
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(edges.get(child, ()))))
        return False

    assert has_cycle()


def test_too_few_cis_are_refused(db):
    with pytest.raises(CommandError):
        _generate(cis=3, relationships=0)
