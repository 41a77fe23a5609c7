import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from cmdb.impact import InvalidImpactQuery, ci_impact, ci_impact_many
from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType
from cmdb.selectors import ci_densest


@pytest.fixture
def graph(db):
    """`graph("a>b:depends_on", ...)`: CIs by name (servers unless named `svc*`) and relationships
    `source>target:type code`; returns {name: CI}."""
    server = CIClass.objects.get(code="server")
    service = CIClass.objects.get(code="business_service")

    def _build(*edges):
        types = {t.code: t for t in RelationshipType.objects.all()}
        cis = {}

        def ci(name):
            if name not in cis:
                cls = service if name.startswith("svc") else server
                cis[name] = ConfigurationItem.objects.create(name=name, ci_class=cls)
            return cis[name]

        for edge in edges:
            pair, code = edge.split(":")
            source, target = pair.split(">")
            CIRelationship.objects.create(source=ci(source), target=ci(target), type=types[code])
        return cis

    return _build


def _summary(nodes, cis):
    names = {ci.pk: name for name, ci in cis.items()}
    return {names[n.ci.pk]: (n.depth, [names[i] for i in n.path]) for n in nodes}


def test_up_follows_dependants_through_a_diamond_once_at_the_shortest_depth(graph):
    # a and b depend on db, c depends on a and b, d on c and directly on db.
    cis = graph(
        "a>db:depends_on",
        "b>db:depends_on",
        "c>a:depends_on",
        "c>b:depends_on",
        "d>c:depends_on",
        "d>db:depends_on",
    )
    nodes = ci_impact(ci=cis["db"], direction="up", max_depth=5)

    summary = _summary(nodes, cis)
    assert sorted(summary) == ["a", "b", "c", "d"]
    assert summary["a"] == (1, ["db", "a"])
    assert summary["b"] == (1, ["db", "b"])
    assert summary["c"][0] == 2
    assert summary["c"][1] in (["db", "a", "c"], ["db", "b", "c"])
    assert summary["d"] == (1, ["db", "d"])
    assert [n.via for n in nodes if n.ci == cis["c"]] == [["used by", "used by"]]


def test_up_terminates_on_a_cycle_and_leaves_out_the_start(graph):
    cis = graph("a>x:depends_on", "b>a:depends_on", "x>b:depends_on", "c>b:depends_on")
    summary = _summary(ci_impact(ci=cis["x"], direction="up", max_depth=10), cis)

    assert summary == {"a": (1, ["x", "a"]), "b": (2, ["x", "a", "b"]), "c": (3, ["x", "a", "b", "c"])}


def test_down_is_the_reverse_of_up(graph):
    cis = graph("app>srv:runs_on", "srv>rack:installed_on", "other>srv:runs_on")
    nodes = ci_impact(ci=cis["app"], direction="down", max_depth=5)

    assert _summary(nodes, cis) == {"srv": (1, ["app", "srv"]), "rack": (2, ["app", "srv", "rack"])}
    assert nodes[1].via == ["runs on", "installed on"]


@pytest.mark.parametrize(("max_depth", "expected"), [(1, ["n1"]), (2, ["n1", "n2"]), (3, ["n1", "n2", "n3"])])
def test_depth_bounds_the_walk(graph, max_depth, expected):
    cis = graph("n1>n0:depends_on", "n2>n1:depends_on", "n3>n2:depends_on", "n4>n3:depends_on")
    nodes = ci_impact(ci=cis["n0"], direction="up", max_depth=max_depth)

    assert [n.ci.name for n in nodes] == expected
    assert max(n.depth for n in nodes) == max_depth


def test_types_without_impact_are_not_followed(graph):
    cis = graph("a>x:connected_to", "x>b:connected_to")

    assert ci_impact(ci=cis["x"], direction="up", max_depth=5) == []
    assert ci_impact(ci=cis["x"], direction="down", max_depth=5) == []


def test_source_to_target_types_carry_failures_from_source_to_target(graph):
    cis = graph("site>srv:contains", "srv2>site:depends_on")

    up = _summary(ci_impact(ci=cis["site"], direction="up", max_depth=5), cis)
    down = _summary(ci_impact(ci=cis["srv"], direction="down", max_depth=5), cis)

    assert up == {"srv": (1, ["site", "srv"]), "srv2": (1, ["site", "srv2"])}
    assert down == {"site": (1, ["srv", "site"])}
    assert ci_impact(ci=cis["srv"], direction="up", max_depth=5) == []


def test_types_with_impact_both_are_followed_either_way(graph):
    RelationshipType.objects.create(
        code="clustered_with", name="clustered with", reverse_name="clustered with", impact="both"
    )
    cis = graph("a>b:clustered_with", "c>a:depends_on")

    assert _summary(ci_impact(ci=cis["b"], direction="up", max_depth=5), cis) == {
        "a": (1, ["b", "a"]),
        "c": (2, ["b", "a", "c"]),
    }
    assert _summary(ci_impact(ci=cis["a"], direction="up", max_depth=5), cis) == {
        "b": (1, ["a", "b"]),
        "c": (1, ["a", "c"]),
    }


def test_business_services_come_first_then_depth_then_name(graph):
    cis = graph(
        "zeta>db:depends_on", "alpha>db:depends_on", "svc_far>zeta:depends_on", "svc_near>db:depends_on"
    )
    nodes = ci_impact(ci=cis["db"], direction="up", max_depth=5)

    assert [n.ci.name for n in nodes] == ["svc_near", "svc_far", "alpha", "zeta"]
    assert [n.is_service for n in nodes] == [True, True, False, False]


@pytest.mark.parametrize(("direction", "max_depth"), [("sideways", 3), ("up", 0), ("up", 11), ("down", "3")])
def test_bad_direction_or_depth_is_refused(graph, direction, max_depth):
    cis = graph("a>b:depends_on")

    with pytest.raises(InvalidImpactQuery):
        ci_impact(ci=cis["b"], direction=direction, max_depth=max_depth)


@pytest.fixture
def generated(db):
    call_command("cmdb_generate", cis=2000, relationships=6000, seed=1, stdout=io.StringIO())


def _busiest(class_code):
    return (
        ConfigurationItem.objects.filter(ci_class__code=class_code)
        .annotate(n=Count("incoming"))
        .order_by("-n", "pk")
        .first()
    )


@pytest.mark.parametrize("direction", ["up", "down"])
def test_impact_on_a_generated_estate_runs_a_statement_per_level(
    generated, django_assert_max_num_queries, direction
):
    start = _busiest("server") if direction == "up" else _busiest("business_service")

    # One statement per level, the CIs and their classes.
    with django_assert_max_num_queries(4 + 2):
        nodes = ci_impact(ci=start, direction=direction, max_depth=4, limit=None)

    assert nodes
    assert all(1 <= n.depth <= 4 and len(n.path) == n.depth + 1 == len(n.via) + 1 for n in nodes)
    assert len({n.ci.pk for n in nodes}) == len(nodes)
    assert start.pk not in {n.ci.pk for n in nodes}


def _lattice(graph, layers, width):
    # `layers` layers of `width` CIs, each CI depending on every CI of the layer below: width**layers
    # paths from the bottom, width*layers CIs.
    edges = []
    below = ["root"]
    for layer in range(1, layers + 1):
        names = [f"l{layer}_{i}" for i in range(width)]
        edges += [f"{name}>{other}:depends_on" for name in names for other in below]
        below = names
    return graph(*edges)


@pytest.mark.parametrize("depth", [3, 10])
def test_statements_are_bounded_by_depth_not_by_paths(graph, django_assert_max_num_queries, depth):
    cis = _lattice(graph, layers=10, width=4)  # 4**10 paths from the root to the top layer

    with django_assert_max_num_queries(depth + 2):
        nodes = ci_impact(ci=cis["root"], direction="up", max_depth=depth, limit=None)

    assert len(nodes) == 4 * depth
    assert {n.depth for n in nodes} == set(range(1, depth + 1))
    assert all(n.path[:1] == [cis["root"].pk] and len(n.path) == n.depth + 1 for n in nodes)


def test_a_ci_with_nothing_to_walk_to_costs_one_statement(graph, django_assert_max_num_queries):
    cis = graph("a>x:connected_to")

    with django_assert_max_num_queries(1):
        assert ci_impact(ci=cis["x"], direction="up", max_depth=10) == []


def test_several_cis_are_walked_together_with_the_same_answers(graph, django_assert_max_num_queries):
    cis = graph(
        "a>db:depends_on",
        "b>db:depends_on",
        "c>a:depends_on",
        "svc>c:depends_on",
        "app>srv:runs_on",
        "b>srv:runs_on",
    )
    starts = [cis["db"], cis["srv"], cis["svc"]]
    alone = {ci.pk: _summary(ci_impact(ci=ci, direction="up", max_depth=5), cis) for ci in starts}

    with django_assert_max_num_queries(5 + 2):
        together = ci_impact_many(cis=starts, direction="up", max_depth=5)

    assert {pk: _summary(nodes, cis) for pk, nodes in together.items()} == alone
    assert alone[cis["srv"].pk] == {"app": (1, ["srv", "app"]), "b": (1, ["srv", "b"])}


def test_each_node_keeps_the_lowest_predecessor_of_the_level_before(graph):
    cis = _lattice(graph, layers=2, width=3)
    nodes = {n.ci.name: n for n in ci_impact(ci=cis["root"], direction="up", max_depth=2)}

    lowest = min(cis[f"l1_{i}"].pk for i in range(3))
    assert all(nodes[f"l2_{i}"].predecessor_id == lowest for i in range(3))


def test_down_walks_cycles_and_diamonds_once(graph):
    # svc depends on a and b, both on db; db depends back on svc (a cycle through the diamond).
    cis = graph(
        "svc>a:depends_on", "svc>b:depends_on", "a>db:depends_on", "b>db:depends_on", "db>svc:depends_on"
    )
    summary = _summary(ci_impact(ci=cis["svc"], direction="down", max_depth=10), cis)

    assert summary == {"a": (1, ["svc", "a"]), "b": (1, ["svc", "b"]), "db": (2, ["svc", "a", "db"])}


def test_the_breadth_limit_stops_the_walk_and_says_so(graph, settings):
    settings.ITSM_IMPACT_MAX_CIS = 5
    cis = _lattice(graph, layers=3, width=3)  # 3 CIs at depth 1, 3 at 2, 3 at 3

    nodes = ci_impact(ci=cis["root"], direction="up", max_depth=3)

    assert (len(nodes), nodes.truncated, nodes.limit) == (5, True, 5)
    # Whole levels first: the nearest CIs are never dropped for farther ones.
    assert sorted(n.depth for n in nodes) == [1, 1, 1, 2, 2]


def test_a_walk_within_the_breadth_limit_is_not_truncated(graph, settings):
    settings.ITSM_IMPACT_MAX_CIS = 9
    cis = _lattice(graph, layers=3, width=3)

    nodes = ci_impact(ci=cis["root"], direction="up", max_depth=3)

    assert (len(nodes), nodes.truncated) == (9, False)


def test_no_limit_reaches_everything(graph, settings):
    settings.ITSM_IMPACT_MAX_CIS = 2
    cis = _lattice(graph, layers=3, width=3)

    nodes = ci_impact(ci=cis["root"], direction="up", max_depth=3, limit=None)

    assert (len(nodes), nodes.truncated) == (9, False)


def test_the_depth_limit_is_a_setting(graph, settings):
    settings.ITSM_IMPACT_MAX_DEPTH = 3
    cis = graph("a>b:depends_on")

    assert ci_impact(ci=cis["b"], direction="up", max_depth=3)
    with pytest.raises(InvalidImpactQuery):
        ci_impact(ci=cis["b"], direction="up", max_depth=4)


def test_a_baseline_scope_walks_a_service_without_the_breadth_limit(graph, settings):
    from cmdb.services.baselines import scope_cis

    settings.ITSM_IMPACT_MAX_CIS = 1
    cis = graph("svc>a:depends_on", "a>b:runs_on", "svc>c:depends_on")

    assert set(scope_cis({"service": cis["svc"].pk})) == {cis["svc"], cis["a"], cis["b"], cis["c"]}


# The API and the page


@pytest.fixture
def estate(graph):
    return graph("app>srv:runs_on", "svc_mail>app:depends_on")


def test_api_answers_the_impact_for_an_agent(estate, agent, api_as):
    response = api_as(agent).get(f"/api/v1/cis/{estate['srv'].pk}/impact", {"direction": "up", "depth": 3})

    assert response.status_code == 200
    body = response.json()
    assert body["ci"] == {"id": estate["srv"].pk, "name": "srv", "class": "server"}
    assert (body["direction"], body["depth"]) == ("up", 3)
    assert body["results"] == [
        {
            "id": estate["svc_mail"].pk,
            "name": "svc_mail",
            "class": "business_service",
            "status": "planned",
            "depth": 2,
            "path": [estate["srv"].pk, estate["app"].pk, estate["svc_mail"].pk],
            "via": ["hosts", "used by"],
            "is_service": True,
        },
        {
            "id": estate["app"].pk,
            "name": "app",
            "class": "server",
            "status": "planned",
            "depth": 1,
            "path": [estate["srv"].pk, estate["app"].pk],
            "via": ["hosts"],
            "is_service": False,
        },
    ]


def test_api_defaults_to_up_and_depth_five(estate, agent, api_as):
    body = api_as(agent).get(f"/api/v1/cis/{estate['svc_mail'].pk}/impact/").json()

    assert (body["direction"], body["depth"], body["results"]) == ("up", 5, [])
    assert (body["truncated"], body["limit"]) == (False, 500)


def test_api_says_when_the_breadth_limit_truncated_the_answer(estate, agent, api_as, settings):
    settings.ITSM_IMPACT_MAX_CIS = 1
    body = api_as(agent).get(f"/api/v1/cis/{estate['srv'].pk}/impact", {"depth": 3}).json()

    assert (body["truncated"], body["limit"]) == (True, 1)
    assert [row["name"] for row in body["results"]] == ["app"]


def test_api_refuses_a_depth_past_the_setting(estate, agent, api_as, settings):
    settings.ITSM_IMPACT_MAX_DEPTH = 2
    response = api_as(agent).get(f"/api/v1/cis/{estate['srv'].pk}/impact", {"depth": 3})

    assert response.status_code == 400
    assert "depth" in response.json()["fields"]


def test_api_hides_the_ci_from_a_requester(estate, requester, api_as):
    response = api_as(requester).get(f"/api/v1/cis/{estate['srv'].pk}/impact")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_refuses_anonymous_callers(estate, api_client):
    assert api_client.get(f"/api/v1/cis/{estate['srv'].pk}/impact").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [({"direction": "sideways"}, "direction"), ({"depth": 0}, "depth"), ({"depth": "x"}, "depth")],
)
def test_api_refuses_bad_parameters(estate, agent, api_as, params, field):
    response = api_as(agent).get(f"/api/v1/cis/{estate['srv'].pk}/impact", params)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_page_shows_the_tree_and_the_graph_to_an_agent(estate, agent, client):
    client.force_login(agent)
    response = client.get(reverse("cmdb:ci_impact", args=[estate["srv"].pk]), {"direction": "up", "depth": 2})

    assert response.status_code == 200
    html = response.content.decode()
    assert "svc_mail" in html
    assert "<svg" in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert " style=" not in html


def test_page_says_more_when_the_breadth_limit_truncated_the_walk(estate, agent, client, settings):
    settings.ITSM_IMPACT_MAX_CIS = 1
    client.force_login(agent)
    response = client.get(reverse("cmdb:ci_impact", args=[estate["srv"].pk]), {"direction": "up", "depth": 3})

    html = response.content.decode()
    assert 'data-testid="impact-truncated"' in html
    assert 'data-testid="impact-more"' in html
    assert "more than 1 CI" in html
    assert "svc_mail" not in html


def test_page_says_no_more_when_the_walk_was_complete(estate, agent, client):
    client.force_login(agent)
    html = client.get(reverse("cmdb:ci_impact", args=[estate["srv"].pk]), {"depth": 3}).content.decode()

    assert 'data-testid="impact-truncated"' not in html
    assert 'data-testid="impact-more"' not in html


def test_page_refuses_a_depth_past_the_setting(estate, agent, client, settings):
    settings.ITSM_IMPACT_MAX_DEPTH = 2
    client.force_login(agent)
    response = client.get(reverse("cmdb:ci_impact", args=[estate["srv"].pk]), {"depth": 3})

    assert response.status_code == 200
    assert response.context["form"].errors["depth"]
    assert response.context["levels"] == []


def test_page_is_not_found_for_a_requester(estate, requester, client):
    client.force_login(requester)

    assert client.get(reverse("cmdb:ci_impact", args=[estate["srv"].pk])).status_code == 404


def test_the_densest_cis_are_those_with_the_most_relationships_at_either_end(graph):
    # Degrees: hub 3; b, c, d 2 each (ties go to the older CI); a 1.
    graph("a>hub:depends_on", "b>hub:depends_on", "hub>c:depends_on", "c>d:depends_on", "b>d:depends_on")
    assert [ci.name for ci in ci_densest(3)] == ["hub", "b", "c"]
