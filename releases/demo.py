"""Demo releases for `seed_demo` (issue 17, item 8), after the changes' demo.

grace (the release manager) runs them, wang is their test lead, bob reports the deployment pipeline's
results. One release in each status, each brought there through the services as people would: raised with
changes the CAB approved, packages uploaded into the definitive software library (small real files whose
checksums the service computes), the checklist kept, the go/no-go decided by its approvers, waves planned,
started and reported task by task. Among them one **mid-rollout** (its first wave succeeded, the second
running with some tasks reported), one **rolled back partly** (its second wave undone from the baseline,
the first kept), one **closed** with its changes, and one **cancelled** that let its change go.

Idempotent: made once, all together (the first release's name marks a seeded desk); skipped when the demo
people, CIs or the changes' demo it needs are missing.
"""

import gzip
import hashlib
import io
import json
import tarfile
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from changes import workflow as change_wf
from changes.demo import FREEZE
from changes.models import BlackoutWindow, Change, RiskQuestion
from changes.services import change_create
from changes.services.assessment import change_assess
from cmdb.models import ConfigurationItem
from cmdb.services.common import VIA_SYSTEM
from cmdb.services.items import ci_update
from servicedesk.approvals.selectors import approvals_for_record
from servicedesk.approvals.services import approval_decide
from servicedesk.models import ApprovalRequest, SupportGroup, User
from servicedesk.records.transitions import record_transition

from . import workflow as wf
from .models import Artifact, Release, ReleaseType, Wave
from .services.artifacts import artifact_register_uri, artifact_upload, artifacts_verify
from .services.deployment import tasks_report, wave_start
from .services.gonogo import release_checklist_update
from .services.lifecycle import release_create
from .services.rollback import release_rollback
from .services.waves import wave_create

MARKER = "Dynamics CRM 9.2"
MANAGER, TEST_LEAD, PIPELINE = "grace", "wang", "bob"
NEEDED_PEOPLE = [MANAGER, TEST_LEAD, PIPELINE, "erin"]
GROUP = "Applications"
LONDON = ZoneInfo("Europe/London")
# A wave's window may run into the year-end freeze or lie outside a service's maintenance window,
# depending on the day the demo is seeded: grace goes ahead regardless, saying why.
GO_AHEAD = "Agreed with the service owners: the rollout is watched and can be rolled back at once."
BACKOUT = "Redeploy the previous version from the definitive software library; restore the CIs from the "
BACKOUT += "baseline taken at the go/no-go."

# The versions the CMDB knows before the releases: what a rollback restores.
CURRENT_VERSIONS = {
    "Dynamics CRM": "9.1", "HR portal app": "2.3", "Asterisk PBX": "20.5.2",
    "OpenVPN Access Server": "2.13.1", "Nextcloud": "29.0.8", "Keycloak SSO": "25.0.6",
    "Identity database": "25.0.6", "Exchange Server": "2019 CU14", "Oracle EBS": "12.2.13",
    "Finance ERP database": "12.2.13", "Web shop storefront": "8.3", "Web shop database": "8.3",
    "ITSM Service Desk": "4.0",
}  # fmt: skip
PATCHED_SERVERS = ["sha-app-01", "lon-web-01", "lon-web-02", "lon-file-01"]

# Each release: title, version, type, services, target CIs, the changes it bundles (approved by the CAB
# for it: a few, the CAB's work is slow to seed), its waves (name, CIs, gate) and the status it is brought
# to (see `_release`).
AUTO, MANUAL = Wave.Gate.AUTOMATIC, Wave.Gate.MANUAL
RELEASES = [
    (MARKER, "9.2", ReleaseType.MAJOR, ["CRM"], ["Dynamics CRM", "CRM database"],
     ["Upgrade Dynamics CRM to 9.2"], [], wf.PLANNING),
    ("HR portal 2.4", "2.4", ReleaseType.MINOR, ["HR portal"], ["HR portal app"], [], [], wf.BUILDING),
    ("Asterisk PBX 22.1", "22.1", ReleaseType.MINOR, ["Telephony"], ["Asterisk PBX"], [],
     [("Shanghai office", ["Asterisk PBX"], MANUAL)], wf.TESTING),
    ("OpenVPN Access Server 2.14", "2.14", ReleaseType.MINOR, ["VPN"], ["OpenVPN Access Server"], [],
     [("Production", ["OpenVPN Access Server"], MANUAL)], wf.GO_NO_GO),
    ("Nextcloud 30.0.4", "30.0.4", ReleaseType.MAJOR, ["File sharing"], ["Nextcloud"], [],
     [("Production", ["Nextcloud"], MANUAL)], wf.APPROVED),
    ("Ubuntu server security updates", "", ReleaseType.MINOR, ["Intranet", "File sharing", "Service desk"],
     PATCHED_SERVERS, ["Apply the Ubuntu security updates to the servers"],
     [("Pilot: Shanghai", ["sha-app-01"], MANUAL),
      ("London servers", ["lon-web-01", "lon-web-02", "lon-file-01"], MANUAL)], wf.DEPLOYING),
    ("Keycloak 26.0.7", "26.0.7", ReleaseType.MINOR, ["Identity/SSO"], ["Identity database", "Keycloak SSO"],
     [], [("Identity database", ["Identity database"], MANUAL), ("Keycloak", ["Keycloak SSO"], AUTO)],
     wf.DEPLOYED),
    ("Exchange Server 2019 CU15", "2019 CU15", ReleaseType.MINOR, ["E-mail"], ["Exchange Server"], [],
     [("Mail server", ["Exchange Server"], MANUAL)], wf.FAILED),
    ("Oracle EBS 12.2.14", "12.2.14", ReleaseType.MAJOR, ["Finance ERP"],
     ["Finance ERP database", "Oracle EBS"], [],
     [("Database", ["Finance ERP database"], MANUAL), ("Application tier", ["Oracle EBS"], MANUAL)],
     wf.ROLLED_BACK),
    ("Web shop storefront 8.4", "8.4", ReleaseType.MINOR, ["Web shop"],
     ["Web shop database", "Web shop storefront"],
     ["Add Apple Pay to the checkout", "Fix the basket's VAT rounding"],
     [("Database", ["Web shop database"], MANUAL), ("Storefront", ["Web shop storefront"], AUTO)], wf.CLOSED),
    ("ITSM Service Desk 4.1", "4.1", ReleaseType.MINOR, ["Service desk"], ["ITSM Service Desk"],
     ["Upgrade the service desk to 4.1"], [], wf.CANCELLED),
]  # fmt: skip
ORDER = (wf.PLANNING, wf.BUILDING, wf.TESTING, wf.GO_NO_GO, wf.APPROVED, wf.DEPLOYING)


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate(timezone=LONDON) + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def seed_releases_demo(stdout) -> None:
    """Create, once, the demo releases and the approved changes they bundle; say what was made."""
    if Release.objects.filter(title=MARKER).exists():
        stdout.write("Releases demo ready (nothing new).")
        return
    cis_needed = {name for spec in RELEASES for name in (*spec[3], *spec[4])}
    people = {user.username: user for user in User.objects.filter(username__in=NEEDED_PEOPLE)}
    cis = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=cis_needed)}
    missing = [name for name in NEEDED_PEOPLE if name not in people]
    missing += sorted(name for name in cis_needed if name not in cis)
    if not BlackoutWindow.objects.filter(name=FREEZE).exists():
        missing.append("the changes' demo")
    if missing:
        stdout.write(f"Demo releases skipped: people, CIs or demo data are missing ({', '.join(missing)}).")
        return
    with transaction.atomic():
        _current_versions(cis)
        for spec in RELEASES:
            _release(people, cis, *spec)
    stdout.write(f"Releases demo ready ({len(RELEASES)} releases, one in each status).")


def _current_versions(cis) -> None:
    for name, version in CURRENT_VERSIONS.items():
        ci = cis[name]
        if not ci.version:
            cis[name] = ci_update(ci=ci, actor=None, via=VIA_SYSTEM, version=version)


# Changes: raised by bob, assessed by erin, approved by the CAB.


def _pending(record) -> ApprovalRequest:
    return next(a for a in approvals_for_record(record=record) if a.status == ApprovalRequest.Status.PENDING)


def _approved_change(people, title: str, services, cis, start: datetime) -> Change:
    bob, erin = people[PIPELINE], people["erin"]
    change = change_create(
        actor=bob,
        title=title,
        change_type=change_wf.NORMAL,
        reason="Keep the service supported; implemented by its release.",
        services=services,
        affected_cis=cis,
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        support_group=services[0].support_group,
        implementation_plan="Deployed by the release, wave by wave.",
        test_plan="The release's tests, then the service owner's smoke test.",
        backout_plan=BACKOUT,
    )
    change = record_transition(record=change, actor=bob, to=change_wf.SUBMITTED)
    change = record_transition(record=change, actor=erin, to=change_wf.ASSESSMENT)
    questions = RiskQuestion.objects.filter(is_active=True).values_list("pk", flat=True)
    change = change_assess(record=change, actor=erin, answers=dict.fromkeys(questions, False))
    change = record_transition(record=change, actor=erin, to=change_wf.AWAITING_APPROVAL)
    _approve_all(change)
    change.refresh_from_db()
    return change


def _approve_all(record, *, leave: int = 0) -> None:
    """Every approver asked (a member for each board) approves until the request settles, but the last
    `leave` of them."""
    approval = _pending(record)
    voters = list(approval.approvers.order_by("pk"))
    voters += [group.members.filter(is_active=True).order_by("pk").first() for group in approval.groups.all()]
    voters = list(dict.fromkeys(voter for voter in voters if voter is not None))
    for person in voters[: len(voters) - leave]:
        approval = approval_decide(approval=approval, actor=person, decision="approve", comment="Go.")
        if approval.status != ApprovalRequest.Status.PENDING:
            break


# Artifacts: small real files.


def _tarball(name: str, version: str) -> bytes:
    """A gzipped tar of the package's manifest and notes, the same bytes each time."""
    buffer = io.BytesIO()
    files = (
        ("MANIFEST.json", json.dumps({"name": name, "version": version}, indent=2)),
        ("README.txt", f"{name} {version}: install with ./install.sh on each target.\n"),
        ("install.sh", f"#!/bin/sh\necho 'Installing {name} {version}'\n"),
    )
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as tar,
    ):
        for member, text in files:
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size, info.mtime, info.mode = len(data), 0, 0o755 if member.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _slug(title: str) -> str:
    return "-".join(title.lower().replace("/", " ").split()[:3])


def _package(release: Release, actor, manifest: dict) -> Artifact:
    name = _slug(release.title)
    if release.title.startswith("Keycloak"):
        image = f"quay.io/keycloak/keycloak:{release.release_version}"
        return artifact_register_uri(
            release=release, actor=actor, uri=f"https://quay.io/repository/keycloak/keycloak?tag={release.release_version}",
            sha256=hashlib.sha256(image.encode()).hexdigest(), name="keycloak-image",
            artifact_version=release.release_version, role=Artifact.Role.PACKAGE,
            media_type="application/vnd.oci.image.manifest.v1+json", manifest=manifest,
        )  # fmt: skip
    content = _tarball(name, release.release_version)
    return artifact_upload(
        release=release, actor=actor, upload=SimpleUploadedFile(f"{name}.tar.gz", content),
        name=name, artifact_version=release.release_version, role=Artifact.Role.PACKAGE,
        declared_sha256=hashlib.sha256(content).hexdigest(), manifest=manifest,
    )  # fmt: skip


def _document(release: Release, actor, role: str, name: str, text: str) -> Artifact:
    return artifact_upload(
        release=release, actor=actor, upload=SimpleUploadedFile(f"{name}.md", text.encode()), name=name,
        artifact_version=release.release_version, role=role, media_type="text/markdown",
    )  # fmt: skip


# Releases.


def _release(people, cis, title, version, release_type, services, targets, change_titles, waves, goal):
    grace, wang, bob = people[MANAGER], people[TEST_LEAD], people[PIPELINE]
    version = version or timezone.localdate().strftime("%Y.%m")
    days = {wf.PLANNING: 40, wf.BUILDING: 25, wf.TESTING: 18, wf.GO_NO_GO: 12, wf.APPROVED: 8}.get(goal, -1)
    start = _at(days, 20) if days > 0 else timezone.now() - timedelta(hours=2)
    services = [cis[name] for name in services]
    targets = [cis[name] for name in targets]
    changes = [_approved_change(people, name, services, targets, start) for name in change_titles]
    release = release_create(
        actor=grace, title=title, release_version=version, release_type=release_type,
        description=f"Brings {title} into production, tested, in stages, with the CMDB kept up to date.",
        services=services, target_cis=targets, changes=changes, planned_start=start,
        planned_end=start + timedelta(hours=4), backout_plan=BACKOUT,
        support_group=SupportGroup.objects.get(name=GROUP), assignee=grace, test_lead=wang,
    )  # fmt: skip
    if goal == wf.CANCELLED:
        release = record_transition(record=release, actor=grace, to=wf.BUILDING)
        record_transition(
            record=release, actor=grace, to=wf.CANCELLED,
            reason="Superseded: the vendor's 4.2 fixes what 4.1 was for; a new release will bring it.",
        )  # fmt: skip
        return
    reached = ORDER.index(goal) if goal in ORDER else len(ORDER)
    if reached < ORDER.index(wf.BUILDING):
        return

    def move(to, actor=grace, **inputs):
        nonlocal release
        release = record_transition(record=release, actor=actor, to=to, **inputs)

    move(wf.BUILDING)
    manifest = {"version": version}
    if title.startswith("Ubuntu"):
        manifest["attributes"] = {"operating_system": "Ubuntu 24.04.3 LTS"}
    package = _package(release, bob, manifest)
    _document(release, grace, Artifact.Role.DOCUMENTATION, "release-notes", f"# {title}\n\nWhat changes.\n")
    if reached < ORDER.index(wf.TESTING):
        return
    move(wf.TESTING, bob)
    window = (_at(days, 20), _at(days, 23)) if days > 0 else (None, None)
    for name, names, gate in waves:
        wave_create(
            release=release, actor=grace, name=name, cis=[cis[n] for n in names], gate=gate, artifact=package,
            planned_start=window[0], planned_end=window[1],
        )  # fmt: skip
    _document(release, wang, Artifact.Role.TEST_EVIDENCE, "test-report", f"# {title}: 212 passed, 0 failed\n")
    release = release_checklist_update(
        release=release, actor=wang, tests_passed=True, test_summary="Regression and smoke tests passed."
    )
    if reached < ORDER.index(wf.GO_NO_GO):
        return
    release = release_checklist_update(
        release=release, actor=grace, communication_sent=True,
        communication_note="Mailed the service's users and posted on the intranet's news page.",
    )  # fmt: skip
    move(wf.GO_NO_GO)
    _approve_all(release, leave=1 if goal == wf.GO_NO_GO else 0)
    release.refresh_from_db()
    if reached < ORDER.index(wf.APPROVED):
        return
    artifacts_verify(release=release, actor=grace)
    if reached < ORDER.index(wf.DEPLOYING):
        return
    move(wf.DEPLOYING, override_reason=GO_AHEAD)
    _deploy(release, people, goal)


def _report(release: Release, position: int, actor, results: dict) -> None:
    """The pipeline reports results (CI name -> status) for the wave at `position`."""
    release.refresh_from_db()
    wave = release.waves.get(position=position)
    tasks = {task.ci.name: task.ci_id for task in wave.tasks.select_related("ci")}
    tasks_report(
        release=release, wave=wave, actor=actor,
        results=[
            {"ci": tasks[name], "status": status, "ref": f"pipeline #{4100 + wave.pk}",
             "log": "Installed; health check green." if status == "succeeded" else
             "Installing…" if status == "running" else "The service did not start after the upgrade."}
            for name, status in results.items()
        ],
    )  # fmt: skip


def _start(release: Release, position: int, actor) -> None:
    """Pass the gate of the wave at `position` unless it started by itself (an automatic gate)."""
    wave = release.waves.get(position=position)
    if wave.status == Wave.Status.PENDING:
        wave_start(wave=wave, actor=actor, override_reason=GO_AHEAD)


def _deploy(release: Release, people, goal: str) -> None:
    grace, bob = people[MANAGER], people[PIPELINE]
    if goal == wf.FAILED:
        names = release.deployment_tasks.values_list("ci__name", flat=True)
        _report(release, 1, bob, dict.fromkeys(names, "failed"))
        return
    if goal == wf.DEPLOYING:
        _report(release, 1, bob, {"sha-app-01": "succeeded"})
        _start(release, 2, grace)
        _report(release, 2, bob, {"lon-web-01": "succeeded", "lon-web-02": "running"})
        return
    by_position = {}
    for task in release.deployment_tasks.select_related("ci", "wave"):
        by_position.setdefault(task.wave.position, {})[task.ci.name] = "succeeded"
    for position in sorted(by_position):
        if position > 1:
            _start(release, position, grace)
        _report(release, position, bob, by_position[position])
    release.refresh_from_db()
    if goal == wf.ROLLED_BACK:
        release_rollback(
            release=release, actor=grace, waves=[release.waves.get(position=2)],
            reason="The month-end close reports are wrong on the new application tier; back to 12.2.13 "
            "while the vendor looks at it. The database's new schema is compatible and stays.",
        )  # fmt: skip
    elif goal == wf.CLOSED:
        record_transition(
            record=release, actor=grace, to=wf.CLOSED, outcome=Release.Outcome.SUCCESSFUL,
            notes="Went as planned; the checkout's conversion is up since Apple Pay went live.",
        )  # fmt: skip
