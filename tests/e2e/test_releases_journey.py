"""Release management from end to end, in a real browser and through the API (issue 17's "Done when").

The web shop runs on six application servers at version 1.0. Its release manager raises a release
bundling two approved changes on the "new release" page, starts building it and uploads its package
(declaring its SHA-256) and the test evidence through the page's upload form; the checksums are shown and
verified. The deployment pipeline plans three waves through the API. The checklist is completed on the
page and the go/no-go asked: the test lead approves on the approvals page, the service owner through the
API, the release manager from the release's page; the release is approved and its baseline taken.

The release manager starts the deployment; the pipeline (a service account with a personal API token, an
Idempotency-Key on each POST, one report retried and replayed) reports waves 1 and 2 as succeeded: their
CIs are at 2.0 in the CMDB, with history "via release:REL…". The release manager opens the third wave's
manual gate; one of its tasks fails and the release fails. The release manager rolls that wave back on
the page: its CIs are back at 1.0 from the baseline, the others keep 2.0, and the release reads "Rolled
back", partly. Closed as partially successful, it closes its two changes with it.
"""

import hashlib
import re
from datetime import UTC, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from changes import workflow as change_wf
from changes.models import Change
from cmdb.models import ConfigurationItem
from releases import workflow as wf
from releases.models import Release, Wave
from servicedesk.models import ApprovalRequest
from servicedesk.roles import AGENT, RELEASE_MANAGER
from servicedesk.services.tokens import api_token_create
from tests.cmdb.factories import CIFactory, CIRelationshipFactory, relationship_type
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory
from tests.releases.conftest import approved_change

PACKAGE = b"webshop-2.0.tar.gz: " + bytes(range(256)) * 64
EVIDENCE = b"<html><body><h1>Web shop 2.0: 412 tests passed, 0 failed</h1></body></html>"
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def local_input(moment) -> str:
    """A moment as a datetime-local field takes it (the people here work in UTC, the site's zone)."""
    return moment.astimezone(UTC).strftime(DATETIME_INPUT)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/(login/)?(\?.*)?$"))


def fire(page, transition: str):
    """Press a transition's button on the release's page (opening its small form first when it has one)."""
    move = page.locator(f'[data-testid="transition"][data-transition="{transition}"]')
    summary = move.locator("summary")
    if summary.count():
        summary.click()
    move.get_by_role("button").last.click()


def success(page):
    return page.locator(".alert-success")


def wave_card(page, wave: Wave):
    return page.locator(f'[data-testid="wave-card"][data-wave="{wave.pk}"]')


class Pipeline:
    """A deployment pipeline: a plain HTTP client (no browser session) with the service account's token,
    sending an Idempotency-Key with every POST, as a retried job would send the same one again."""

    def __init__(self, playwright, base_url: str, key: str):
        self.http = playwright.request.new_context(
            base_url=base_url, extra_http_headers={"Authorization": f"Bearer {key}"}
        )

    def get(self, path: str, **params):
        response = self.http.get(f"/api/v1/{path}", params=params or None)
        assert response.status == 200, (path, response.status, response.text())
        return response.json()

    def post(self, path: str, body: dict, *, key: str, status: int = 200):
        response = self.http.post(f"/api/v1/{path}", data=body, headers={"Idempotency-Key": key})
        assert response.status == status, (path, response.status, response.text())
        return response

    def close(self):
        self.http.dispose()


def versions(*cis) -> list[str]:
    return list(
        ConfigurationItem.objects.filter(pk__in=[ci.pk for ci in cis])
        .order_by("name")
        .values_list("version", flat=True)
    )


def test_a_release_is_built_approved_deployed_in_waves_rolled_back_in_part_and_closed(
    log_in, live_server, browser_log, playwright, axe_findings
):
    # The desk: the web shop and its six servers at 1.0; its people; a pipeline's service account.
    rita = UserFactory(username="rita", full_name="Rita Release", roles=[AGENT, RELEASE_MANAGER])
    tom = UserFactory(username="tom", full_name="Tom Tester", roles=[AGENT])
    olga = UserFactory(username="olga", full_name="Olga Owner", roles=[AGENT])
    amy = UserFactory(username="amy", full_name="Amy Agent", roles=[AGENT])
    bot = UserFactory(username="deploybot", full_name="Deploy Pipeline", roles=[AGENT])
    team = SupportGroupFactory(name="Web team", members=[rita, tom, amy, bot])
    shop = BusinessServiceFactory(name="Web shop", owner=olga, support_group=team)
    servers = []
    for n in range(1, 7):
        ci = CIFactory(name=f"app-{n:02d}", status="in_production", version="1.0")
        CIRelationshipFactory(source=shop, target=ci, type=relationship_type("depends_on"))
        servers.append(ci)
    checkout = approved_change(amy, "Upgrade the checkout", servers[:3])
    basket = approved_change(amy, "Fix the basket rounding", servers[3:])
    _token, bot_key = api_token_create(user=bot, actor=bot, name="deploy pipeline")
    _token, olga_key = api_token_create(user=olga, actor=olga, name="my scripts")
    pipeline = Pipeline(playwright, live_server.url, bot_key)
    start = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)

    # The release manager raises the release with the two changes on the "new release" page.
    page = log_in(rita)
    page.goto(f"{live_server.url}/desk/releases/new/")
    form = page.get_by_test_id("release-new-form")
    form.get_by_label("Name").fill("Web shop spring release")
    form.get_by_label("Version").fill("2.0")
    form.get_by_label("Type").select_option(value="minor")
    form.get_by_label("Changes it bundles").fill(f"{checkout.number} {basket.number}")
    form.locator('select[name="services"]').select_option(value=str(shop.pk))
    form.locator('select[name="target_cis"]').select_option(value=[str(ci.pk) for ci in servers])
    form.get_by_label("Build group").select_option(label="Web team")
    form.locator('select[name="assignee"]').select_option(value=str(rita.pk))
    form.locator('select[name="test_lead"]').select_option(value=str(tom.pk))
    form.get_by_label("Planned start").fill(local_input(start))
    form.get_by_label("Planned end").fill(local_input(start + timedelta(hours=4)))
    form.get_by_label("Back-out plan").fill("Roll the waves back: the baseline taken at the go/no-go.")
    form.get_by_role("button", name="Raise the release").click()
    release = Release.objects.get(title="Web shop spring release")
    number = release.number
    page.wait_for_url(f"{live_server.url}/records/{number}/")
    expect(success(page)).to_contain_text(f"{number} was raised.")
    assert number.startswith("REL")
    bundled = page.get_by_test_id("release-change")
    expect(bundled).to_have_count(2)
    for change in (checkout, basket):
        expect(
            page.locator(f'[data-testid="release-change"][data-number="{change.number}"]')
        ).to_contain_text(change.title)
    expect(page.get_by_test_id("release-cis")).to_have_attribute("data-count", "6")

    # ... starts building it and uploads its package (its checksum declared) and the test evidence.
    fire(page, "build")
    expect(success(page)).to_contain_text("The release is now building.")
    uploads = [
        ("webshop.tar.gz", PACKAGE, "Package", hashlib.sha256(PACKAGE).hexdigest(), '{"version": "2.0"}'),
        ("test-report.html", EVIDENCE, "Test evidence", "", ""),
    ]
    for file_name, content, role, declared, manifest in uploads:
        upload = page.get_by_test_id("artifact-form")
        upload.get_by_label("File").set_input_files(
            {"name": file_name, "mimeType": "application/octet-stream", "buffer": content}
        )
        upload.get_by_label("Version", exact=True).fill("2.0")
        upload.get_by_label("Role").select_option(label=role)
        upload.get_by_label("SHA-256").fill(declared)
        upload.get_by_label("Manifest").fill(manifest)
        upload.get_by_role("button", name="Add to the library").click()
        expect(success(page)).to_contain_text("The artifact is in the release's library.")
    rows = page.get_by_test_id("artifact-row")
    expect(rows).to_have_count(2)
    package, evidence = release.artifacts.order_by("role")  # package, then test evidence
    assert (package.name, package.size, package.manifest) == (
        "webshop.tar.gz",
        len(PACKAGE),
        {"version": "2.0"},
    )
    assert evidence.role == "test_evidence"
    for artifact, content in ((package, PACKAGE), (evidence, EVIDENCE)):
        row = page.locator(f'[data-testid="artifact-row"][data-artifact="{artifact.pk}"]')
        expect(row.get_by_test_id("artifact-sha256")).to_have_text(hashlib.sha256(content).hexdigest())
        expect(row.get_by_test_id("artifact-check")).to_have_attribute("data-check", "")

    # ... and verifies the checksums: both match.
    page.get_by_test_id("artifacts-verify").click()
    expect(success(page)).to_contain_text("Verified: every stored artifact matches its checksum.")
    checks = page.get_by_test_id("artifact-check")
    expect(checks).to_have_count(2)
    for n in range(2):
        expect(checks.nth(n)).to_have_attribute("data-check", "ok")
        expect(checks.nth(n)).to_contain_text("Matches")

    # The pipeline plans the rollout: a pilot, then the rest of the first changes' servers (automatic
    # gate), then the last two (the release manager opens that gate).
    planned = [
        ("Pilot", servers[:2], "manual"),
        ("Checkout servers", servers[2:4], "automatic"),
        ("Basket servers", servers[4:], "manual"),
    ]
    for n, (name, cis, gate) in enumerate(planned, start=1):
        answer = pipeline.post(
            f"releases/{number}/deployments/",
            {"name": name, "cis": [ci.pk for ci in cis], "gate": gate},
            key=f"plan-{number}-{n}",
            status=201,
        ).json()
        assert (answer["position"], answer["total_tasks"], answer["status"]) == (n, 2, "pending")
    waves = list(Wave.objects.filter(release=release).order_by("position"))
    assert {task.artifact_id for wave in waves for task in wave.tasks.all()} == {package.pk}

    # The release goes to testing; the release manager completes the checklist on the page.
    page.reload()
    expect(page.get_by_test_id("wave-card")).to_have_count(3)
    fire(page, "test")
    expect(success(page)).to_contain_text("The release is now testing.")
    checklist = page.get_by_test_id("checklist")
    expect(checklist.locator('[data-testid="checklist-item"][data-done="1"]')).to_have_count(1)  # back-out
    checklist.get_by_text("Keep the checklist").click()
    checklist.get_by_label("The tests passed").check()
    checklist.get_by_label("Test summary").fill("Regression and load tests green; report attached.")
    checklist.get_by_label("The communication was sent").check()
    checklist.get_by_label("Who was told what, and how").fill("Mailed the shop managers on Monday.")
    checklist.get_by_role("button", name="Save the checklist").click()
    expect(success(page)).to_contain_text("The checklist was saved.")
    expect(page.locator('[data-testid="checklist-item"][data-done="1"]')).to_have_count(3)

    # ... and asks for the go/no-go: she, the test lead and the service's owner must all say go.
    fire(page, "request_go")
    expect(success(page)).to_contain_text("The release is now go/no-go.")
    expect(page.get_by_test_id("artifacts-frozen")).to_be_visible()
    expect(page.get_by_test_id("artifact-form")).to_have_count(0)
    approval = ApprovalRequest.objects.get(object_id=release.pk, status=ApprovalRequest.Status.PENDING)
    assert {a.username for a in approval.approvers.all()} == {"rita", "tom", "olga"}
    sign_out(page)

    # The test lead approves on his approvals page.
    page = log_in(tom)
    page.goto(f"{live_server.url}/approvals/")
    page.locator(f'[data-testid="approval-row"][data-id="{approval.pk}"]').get_by_role("link").click()
    expect(page.get_by_test_id("approval-record")).to_have_text(number)
    page.get_by_test_id("decision-form").get_by_label("Comment").fill("Evidence checked.")
    page.get_by_test_id("approve").click()
    expect(success(page)).to_contain_text("Your decision was recorded.")
    sign_out(page)

    # The service's owner approves through the API, with her own token.
    owner = Pipeline(playwright, live_server.url, olga_key)
    decided = owner.post(
        f"approvals/{approval.pk}/decide/", {"decision": "approve", "comment": "Go."}, key="olga-go"
    ).json()
    assert decided["status"] == "pending"  # the release manager has not decided yet
    owner.close()
    release.refresh_from_db()
    assert release.status == wf.GO_NO_GO

    # The release manager decides last, from the release's page: go. The baseline is taken.
    page = log_in(rita)
    page.goto(f"{live_server.url}/records/{number}/")
    page.get_by_test_id("approval-open").click()
    page.get_by_test_id("approve").click()
    expect(success(page)).to_contain_text("Your decision was recorded.")
    page.goto(f"{live_server.url}/records/{number}/")
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", wf.APPROVED)
    expect(page.get_by_test_id("release-baseline")).to_contain_text(f"{number} 2.0 at approval")
    release.refresh_from_db()
    assert release.baseline is not None
    assert set(release.baseline.items.values_list("ci_key", flat=True)) == {ci.pk for ci in servers}

    # She starts the deployment: the pilot wave runs; the changes are implemented by the release now.
    fire(page, "deploy")
    expect(success(page)).to_contain_text("The release is now deploying.")
    expect(wave_card(page, waves[0])).to_have_attribute("data-status", "running")
    assert set(Change.objects.filter(pk__in=[checkout.pk, basket.pk]).values_list("status", flat=True)) == {
        change_wf.IMPLEMENTING
    }

    # The pipeline deploys the pilot: a task running, then both done; the job retried replays the answer.
    tasks = pipeline.get(f"releases/{number}/deployments/{waves[0].pk}/tasks/")
    assert [task["ci"]["name"] for task in tasks["results"]] == ["app-01", "app-02"]
    tasks_path = f"releases/{number}/deployments/{waves[0].pk}/tasks/"
    pipeline.post(tasks_path, {"results": [{"ci": servers[0].pk, "status": "running"}]}, key="job-41-start")
    done = {
        "results": [
            {"ci": ci.pk, "status": "succeeded", "log": "deployed", "ref": "job-41"} for ci in servers[:2]
        ]
    }
    first = pipeline.post(tasks_path, done, key="job-41-done")
    assert (first.json()["wave_status"], first.json()["changed"]) == ("succeeded", 2)
    again = pipeline.post(tasks_path, done, key="job-41-done")
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    history_rows = servers[0].history.count()

    # Wave 2's gate is automatic: it runs already; the pipeline reports it task by task.
    assert pipeline.get(f"releases/{number}/deployments/{waves[1].pk}/")["status"] == "running"
    for ci in servers[2:4]:
        answer = pipeline.post(
            f"releases/{number}/deployments/{waves[1].pk}/tasks/{ci.pk}/",
            {"status": "succeeded", "log": "deployed", "ref": "job-42"},
            key=f"job-42-{ci.name}",
        ).json()
    assert (answer["wave_status"], answer["release_status"]) == ("succeeded", wf.DEPLOYING)
    assert servers[0].history.count() == history_rows  # the replay wrote nothing
    assert versions(*servers) == ["2.0"] * 4 + ["1.0"] * 2

    # The CMDB has the new versions, written through the release (API and CI page).
    history = pipeline.get(f"cis/{servers[0].pk}/history/")["results"][0]
    assert history["via"] == f"release:{number}"
    assert {"field": "version", "from": "1.0", "to": "2.0"} in history["changes"]
    page.goto(f"{live_server.url}/cmdb/cis/{servers[2].pk}/")
    latest = page.get_by_test_id("history-entry").first
    expect(latest).to_contain_text(f"via release:{number}")
    expect(latest.get_by_test_id("history-change")).to_contain_text("version")
    expect(latest.get_by_test_id("history-change")).to_contain_text("2.0")

    # The third wave waits at its manual gate: the release manager starts it on the page.
    page.goto(f"{live_server.url}/records/{number}/")
    for wave, status in zip(waves, ("succeeded", "succeeded", "pending"), strict=True):
        expect(wave_card(page, wave)).to_have_attribute("data-status", status)
    wave_card(page, waves[2]).get_by_role("button", name="Start this wave").click()
    expect(success(page)).to_contain_text("Wave “Basket servers” started.")
    expect(wave_card(page, waves[2])).to_have_attribute("data-status", "running")

    # ... and one of its servers fails: the wave fails, and the release with it.
    failed = {
        "results": [
            {"ci": servers[4].pk, "status": "succeeded", "log": "deployed", "ref": "job-43"},
            {
                "ci": servers[5].pk,
                "status": "failed",
                "log": "health check failed: HTTP 502",
                "ref": "job-43",
            },
        ]
    }
    answer = pipeline.post(f"releases/{number}/deployments/{waves[2].pk}/tasks/", failed, key="job-43").json()
    assert (answer["wave_status"], answer["release_status"]) == ("failed", wf.FAILED)
    pipeline.close()

    # The release manager sees the failure (the page, with its board and rollback form, reads well to
    # assistive technology) and rolls back that wave only.
    assert axe_findings(f"/records/{number}/") == []
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", wf.FAILED)
    failure = wave_card(page, waves[2]).get_by_test_id("failed-task")
    expect(failure).to_contain_text("app-06")
    expect(failure).to_contain_text("health check failed: HTTP 502")
    rollback = page.get_by_test_id("rollback-form")
    for wave in waves[:2]:
        rollback.locator(f'input[name="waves"][value="{wave.pk}"]').uncheck()
    expect(rollback.locator(f'input[name="waves"][value="{waves[2].pk}"]')).to_be_checked()
    rollback.get_by_label("Why roll back").fill("app-06 fails its health check on 2.0.")
    rollback.get_by_role("button", name="Roll back").click()
    expect(success(page)).to_contain_text("The release was rolled back.")
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", wf.ROLLED_BACK)
    expect(page.get_by_test_id("status-badge").first).to_have_text("Rolled back")
    expect(page.get_by_test_id("rollback-extent")).to_have_attribute("data-extent", "partial")
    expect(page.get_by_test_id("rollback-extent")).to_have_text("Partly rolled back")
    for wave, status in zip(waves, ("succeeded", "succeeded", "rolled_back"), strict=True):
        expect(wave_card(page, wave)).to_have_attribute("data-status", status)

    # Its CIs are back at 1.0 from the baseline, written through the release; the others keep 2.0.
    assert versions(*servers) == ["2.0"] * 4 + ["1.0"] * 2
    restored = ConfigurationItem.objects.get(pk=servers[4].pk).history.latest("history_id")
    assert (restored.version, restored.history_change_reason) == ("1.0", f"release:{number}")

    # Closed as partially successful: its two changes close with it, reviewed with that outcome.
    move = page.locator('[data-testid="transition"][data-transition="close"]')
    move.locator("summary").click()
    move.get_by_label("Partially successful").check()
    move.get_by_label("Lessons learned").fill("Health-check app-06's basket service before the wave.")
    move.get_by_role("button", name="Close").click()
    expect(success(page)).to_contain_text("The release is now closed.")
    expect(page.get_by_test_id("release-outcome")).to_contain_text("Partially successful")
    for change in (checkout, basket):
        row = page.locator(f'[data-testid="release-change"][data-number="{change.number}"]')
        expect(row.get_by_test_id("status-badge")).to_have_attribute("data-status", change_wf.CLOSED)
    release.refresh_from_db()
    assert (release.status, release.outcome, release.rollback_extent) == (wf.CLOSED, "partial", "partial")
    closed = Change.objects.filter(pk__in=[checkout.pk, basket.pk])
    assert {(c.status, c.review_outcome) for c in closed} == {(change_wf.CLOSED, Change.Outcome.PARTIAL)}
    assert axe_findings(f"/records/{number}/") == []  # closed, with its outcome and rollback
    assert browser_log.errors == []
