"""No stored XSS: what requesters and agents write is shown escaped or stripped on the portal pages."""

import re

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Incident

PAYLOADS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(2)">click me</a>',
    "<svg onload=alert(3)>",
    "[click me](JaVaScRiPt:alert(4))",
]
SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _assert_harmless(html: str) -> None:
    assert SCRIPT.search(html) is None
    assert "alert('xss')</script>" not in html
    assert re.search(r"<img\b", html, re.IGNORECASE) is None
    assert re.search(r"<svg\b", html, re.IGNORECASE) is None
    # As escaped text ("&lt;a href=...") it is harmless; as a real tag's attribute it is not.
    assert re.search(r"""<a\b[^>]*href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE) is None
    assert re.search(r"<[^>]+\son\w+\s*=", html, re.IGNORECASE) is None


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_description_filed_through_the_portal_renders_harmless(client, requester, payload):
    client.force_login(requester)
    client.post(
        reverse("incidents:portal_new_incident"),
        {"title": f"Title {payload}", "description": f"Intro\n\n{payload}", "urgency": "2"},
    )
    record = Incident.objects.get()

    page = client.get(reverse("record", args=[record.number]))
    listing = client.get("/portal/")

    assert page.status_code == 200
    _assert_harmless(page.content.decode())
    _assert_harmless(listing.content.decode())
    assert "Intro" in page.content.decode()
    assert "&lt;" in page.content.decode() or "click me" in page.content.decode()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_comments_and_resolution_notes_render_harmless(client, requester, agent, incident, payload):
    client.force_login(requester)
    client.post(reverse("incidents:portal_reply", args=[incident.number]), {"body": f"Reply {payload}"})
    services.incident_comment(record=incident, actor=agent, body=f"Agent {payload}")
    record = services.incident_transition(record=incident, actor=agent, to="in_progress")
    services.incident_transition(
        record=record,
        actor=agent,
        to="resolved",
        resolution_code="solved",
        resolution_notes=f"Fixed {payload}",
    )

    html = client.get(reverse("record", args=[incident.number])).content.decode()

    _assert_harmless(html)
    assert "Reply" in html
    assert "Agent" in html


def test_the_htmx_reply_partial_is_sanitised_too(client, requester, incident):
    client.force_login(requester)

    response = client.post(
        reverse("incidents:portal_reply", args=[incident.number]),
        {"body": "<script>alert('xss')</script> [x](javascript:alert(1))"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    _assert_harmless(response.content.decode())
    assert "&lt;script&gt;" in response.content.decode()


def test_a_script_in_a_title_is_escaped_in_the_heading_and_the_list(client, requester):
    services.incident_create(actor=requester, title="<script>alert('xss')</script>", description="x")
    client.force_login(requester)

    html = client.get("/portal/").content.decode()

    _assert_harmless(html)
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
