"""A fuzz of the releases API on real releases (issue 17, item 7).

The fuzz of the whole API (tests/api/test_schema.py) covers these operations too, but with made-up
numbers and ids: nearly every answer there is a 404. Here the path names a release that exists (one
being tested, with its artifacts, two waves and a pending go/no-go; or one being deployed, its first
wave running) and its real waves, tasks' CIs, artifacts and approval, so the generated bodies, queries
and multipart uploads reach the services. Every answer must be one the schema documents, none a 5xx,
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
from releases import workflow as wf
from releases.models import Release
from servicedesk.approvals.services import approval_request_open
from servicedesk.services.tokens import api_token_create
from tests.api.test_schema import CONFORMANCE_CHECKS

with GENERATOR_STATS.silence():
    releases_api = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(params=[wf.TESTING, wf.DEPLOYING])
def world(request, prepared, app_servers, release_manager, service_owner, test_lead):
    """The release in `request.param`, and the ids its paths take."""
    release = prepared
    approval = approval_request_open(
        record=release, actor=release_manager, approvers=[service_owner, test_lead], title="Go/no-go"
    )
    waves = list(release.waves.order_by("position"))
    if request.param == wf.DEPLOYING:
        Release.objects.filter(pk=release.pk).update(status=wf.DEPLOYING)
        waves[0].status = "running"
        waves[0].save(update_fields=["status"])
    return {
        "number": release.number,
        "wave_id": waves[0].pk,
        "ci_id": app_servers[0].pk,
        "artifact_id": release.artifacts.order_by("pk").first().pk,
        "approval_id": approval.pk,
    }


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the test's
    transaction; Django's test client keeps it the same way (`close_old_connections` disconnected)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def administrator_key(administrator):
    _token, key = api_token_create(user=administrator, actor=administrator, name="fuzz")
    return key


@pytest.mark.undocumented_answers  # checked here by schemathesis itself
@releases_api.include(path_regex=r"^/api/v1/releases/\{number\}/").parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_releases_api_answers_as_documented_on_real_releases(
    case, world, administrator, administrator_key
):
    type(administrator).objects.filter(pk=administrator.pk).update(is_active=True)
    # A case made invalid in its path or headers stays as generated: it must be refused as it is.
    if not any(case.meta.is_negative_at(at) for at in (ParameterLocation.PATH, ParameterLocation.HEADER)):
        for name in case.path_parameters or {}:
            if name in world:
                case.path_parameters[name] = world[name]

    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {administrator_key}"}, checks=CONFORMANCE_CHECKS
    )

    assert response.status_code != 401, "the fuzz must run authenticated"
