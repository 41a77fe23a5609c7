"""A fuzz of the reports API on real figures (issue 18).

The path names a measure that exists (the generated one would nearly always be unknown: a 404), the two_groups
holds records in two groups with their facts refreshed, and the generated filters, periods and
breakdowns reach the form and the measures. Every answer must be one the schema documents, none a 5xx,
and what the schema calls invalid must be refused.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.drainage import GENERATOR_STATS
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from itsm.wsgi import application
from servicedesk.services.tokens import api_token_create
from tests.api.test_schema import CONFORMANCE_CHECKS

with GENERATOR_STATS.silence():
    reports_api = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# A measure of each shape: a period series, percentiles of durations, a snapshot, rates.
MEASURES = ["volumes", "mttr", "sla_at_risk", "sla_compliance"]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the test's
    transaction; Django's test client keeps it the same way (`close_old_connections` disconnected)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=MEASURES)
def measure_key(request):
    return request.param


@pytest.fixture
def manager_key(group_manager):
    _token, key = api_token_create(user=group_manager, actor=group_manager, name="fuzz")
    return key


@pytest.mark.undocumented_answers  # checked here by schemathesis itself
@reports_api.include(path_regex=r"^/api/v1/reports/").parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_reports_api_answers_as_documented_on_real_figures(case, two_groups, measure_key, manager_key):
    # A case made invalid in its path stays as generated: it must be refused as it is.
    if case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
        case.path_parameters["key"] = measure_key

    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {manager_key}"}, checks=CONFORMANCE_CHECKS
    )

    assert response.status_code != 401, "the fuzz must run authenticated"
