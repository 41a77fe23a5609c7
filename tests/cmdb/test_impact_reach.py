"""`ci_reach_many`: the ids an impact walk reaches, without reading the CIs (conflict detection)."""

import pytest

from cmdb.impact import InvalidImpactQuery, ci_impact, ci_reach_many

from .test_impact import graph  # noqa: F401  (the fixture)


def test_reach_matches_the_impact_walk_by_id_and_depth(graph):  # noqa: F811
    cis = graph("a>db:depends_on", "c>a:depends_on", "d>c:depends_on", "app>db:runs_on")
    db, app = cis["db"], cis["app"]

    reach = ci_reach_many(cis=[db.pk, app.pk], direction="up", max_depth=5)

    assert reach[db.pk] == {n.ci.pk: n.depth for n in ci_impact(ci=db, direction="up", max_depth=5)}
    assert reach[db.pk][cis["d"].pk] == 3
    assert reach[app.pk] == {}
    assert ci_reach_many(cis=[app.pk], direction="down")[app.pk] == {db.pk: 1}


def test_reach_runs_a_statement_per_level_and_reads_no_ci(graph, django_assert_num_queries):  # noqa: F811
    cis = graph("a>db:depends_on", "c>a:depends_on")
    with django_assert_num_queries(3):  # levels 1, 2, and 3 finding nothing more
        ci_reach_many(cis=[cis["db"].pk], direction="up", max_depth=5)


def test_reach_stops_at_the_limit(graph):  # noqa: F811
    cis = graph("a>db:depends_on", "b>db:depends_on", "c>db:depends_on")
    assert len(ci_reach_many(cis=[cis["db"].pk], limit=2)[cis["db"].pk]) == 2


def test_reach_refuses_a_bad_direction():
    with pytest.raises(InvalidImpactQuery):
        ci_reach_many(cis=[1], direction="sideways")
