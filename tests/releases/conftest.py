"""Fixtures of the release tests: a business service running on two application servers, its owner, a
release manager, a test lead, two approved changes, and a release raised with them in planning, plus
`prepared` (the checklist complete, a package and a wave) to reach the go/no-go."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from changes import workflow as change_wf
from changes.models import Change
from changes.services import change_create
from releases.models import Artifact, DeploymentTask, Wave
from releases.services.lifecycle import release_create
from servicedesk import roles

from ..cmdb.factories import CIFactory, CIRelationshipFactory, relationship_type
from ..factories import UserFactory
from ..incidents.factories import BusinessServiceFactory


@pytest.fixture
def release_manager(db, organisation):
    return UserFactory(
        username="releases", full_name="Rita Release", roles=[roles.AGENT, roles.RELEASE_MANAGER],
        organisation=organisation,
    )  # fmt: skip


@pytest.fixture
def test_lead(db, organisation):
    return UserFactory(
        username="tester", full_name="Tom Tester", roles=[roles.AGENT], organisation=organisation
    )


@pytest.fixture
def service_owner(db, organisation):
    return UserFactory(
        username="owner", full_name="Olga Owner", roles=[roles.AGENT], organisation=organisation
    )


@pytest.fixture
def service(db, support_group, service_owner):
    return BusinessServiceFactory(name="Web shop", support_group=support_group, owner=service_owner)


@pytest.fixture
def app_servers(db, service):
    """Four production application servers the web shop runs on, each at version 1.0."""
    servers = []
    for n in range(1, 5):
        ci = CIFactory(name=f"app-{n:02d}", status="in_production", version="1.0")
        CIRelationshipFactory(source=service, target=ci, type=relationship_type("depends_on"))
        servers.append(ci)
    return servers


def approved_change(actor, title: str, cis) -> Change:
    record = change_create(actor=actor, title=title, affected_cis=cis)
    Change.objects.filter(pk=record.pk).update(status=change_wf.APPROVED)
    record.refresh_from_db()
    return record


@pytest.fixture
def changes(db, agent, app_servers):
    return [
        approved_change(agent, "Upgrade the checkout", app_servers[:2]),
        approved_change(agent, "Fix the basket rounding", app_servers[2:]),
    ]


@pytest.fixture
def release(db, release_manager, test_lead, service, app_servers, changes, support_group):
    return release_create(
        actor=release_manager,
        title="Web shop spring release",
        release_version="2.0",
        services=[service],
        target_cis=app_servers,
        changes=changes,
        support_group=support_group,
        assignee=release_manager,
        test_lead=test_lead,
        backout_plan="Redeploy 1.0 from the DSL.",
        planned_start=timezone.now() + timedelta(days=1),
        planned_end=timezone.now() + timedelta(days=1, hours=4),
    )


def stored_artifact(release, *, name="webshop", version="2.0", role=Artifact.Role.PACKAGE, content=b"pkg"):
    """An artifact row as the DSL keeps it (the upload service is tested on its own)."""
    from django.core.files.base import ContentFile

    artifact = Artifact(
        release=release, name=name, artifact_version=version, role=role, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), media_type="application/octet-stream",
        manifest={"version": version},
    )  # fmt: skip
    artifact.file.save(name, ContentFile(content), save=False)
    artifact.save()
    return artifact


def planned_wave(
    release, position: int, cis, *, name: str = "", gate=Wave.Gate.MANUAL, artifact=None
) -> Wave:
    wave = Wave.objects.create(
        release=release, position=position, name=name or f"Wave {position}", gate=gate, total_tasks=len(cis)
    )
    DeploymentTask.objects.bulk_create(
        DeploymentTask(release=release, wave=wave, ci=ci, artifact=artifact) for ci in cis
    )
    return wave


@pytest.fixture
def prepared(release, release_manager, app_servers):
    """The release in testing with its checklist complete, a package, evidence and two waves."""
    from releases.models import Release

    package = stored_artifact(release)
    stored_artifact(release, name="test-report", role=Artifact.Role.TEST_EVIDENCE, content=b"all green")
    planned_wave(release, 1, app_servers[:2], artifact=package)
    planned_wave(release, 2, app_servers[2:], artifact=package)
    now = timezone.now()
    Release.objects.filter(pk=release.pk).update(
        status="testing", tests_passed_at=now, tests_passed_by=release_manager, test_summary="All green.",
        communication_sent_at=now, communication_sent_by=release_manager,
        communication_note="Mailed the shops.",
    )  # fmt: skip
    release.refresh_from_db()
    return release
