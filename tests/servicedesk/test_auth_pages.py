import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from servicedesk.models import AuditEvent, OutboxMessage
from servicedesk.services.outbox import outbox_sweep
from servicedesk.tasks import password_reset_email_send_task

from ..factories import PASSWORD, UserFactory

NEW_PASSWORD = "tangerine-lighthouse-42"
RESET_LINK = re.compile(r"http://testserver(/password/reset/[\w-]+/[\w-]+/)")


def _sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


# Sign in and out


@pytest.mark.django_db
def test_the_login_page_renders_the_form(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert response.templates[0].name == "registration/login.html"
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert 'href="/password/reset/"' in content


def test_login_with_the_right_password_goes_home_and_is_audited(client, requester):
    response = _sign_in(client, "requester", PASSWORD)

    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action="user.logged_in")
    assert (event.actor, event.object_id) == (requester, str(requester.pk))


def test_login_with_a_wrong_password_is_refused_and_audited(client, requester):
    response = _sign_in(client, "requester", "not-the-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert list(AuditEvent.objects.values_list("action", "actor", "data")) == [
        ("user.login_failed", None, {"username": "requester"})
    ]


def test_repeated_failures_lock_the_account_out_even_for_the_right_password(client, requester, settings):
    statuses = [
        _sign_in(client, "requester", "not-the-password").status_code
        for _attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = AuditEvent.objects.get(action="user.locked_out")
    assert (locked.actor, locked.data) == (None, {"username": "requester", "ip_address": "127.0.0.1"})

    response = _sign_in(client, "requester", PASSWORD)

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="user.logged_in").exists()


def test_a_lockout_is_per_username(client, requester, other_requester, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "requester", "not-the-password")

    assert _sign_in(client, "other", PASSWORD).status_code == 302


def test_failures_below_the_limit_do_not_lock_out(client, requester, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "requester", "not-the-password")

    response = _sign_in(client, "requester", PASSWORD)

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="user.locked_out").exists()


def test_logout_by_post_signs_out_and_is_audited(client, requester):
    client.force_login(requester)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response.url == "/login/"
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="user.logged_out", actor=requester).count() == 1


def test_logout_by_get_is_not_allowed(client, requester):
    client.force_login(requester)

    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200


# Password reset


def _request_reset(client, django_capture_on_commit_callbacks, email):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/password/reset/", {"email": email})


def test_the_password_reset_flow_sets_a_new_password(client, requester, django_capture_on_commit_callbacks):
    response = _request_reset(client, django_capture_on_commit_callbacks, "requester@example.com")

    assert response.status_code == 302
    assert response.url == "/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["requester@example.com"]
    assert message.subject == "Reset your service desk password"
    link = RESET_LINK.search(message.body).group(1)
    html = message.alternatives[0]
    assert html.mimetype == "text/html"
    assert f"http://testserver{link}" in html.content

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done.url == "/password/reset/done/"
    requester.refresh_from_db()
    assert requester.check_password(NEW_PASSWORD)
    assert _sign_in(client, "requester", NEW_PASSWORD).url == "/"
    events = AuditEvent.objects.filter(action__startswith="user.password_reset").order_by("pk")
    assert [(e.action, e.actor, e.object_id) for e in events] == [
        ("user.password_reset_requested", None, str(requester.pk)),
        ("user.password_reset_completed", requester, str(requester.pk)),
    ]


def test_a_password_reset_link_works_only_once(client, requester, django_capture_on_commit_callbacks):
    _request_reset(client, django_capture_on_commit_callbacks, "requester@example.com")
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert again.context["validlink"] is False
    assert "This link no longer works" in again.content.decode()


def test_a_reset_for_an_unknown_email_sends_nothing_but_shows_the_same_page(
    client, requester, django_capture_on_commit_callbacks
):
    response = _request_reset(client, django_capture_on_commit_callbacks, "nobody@example.com")

    assert response.status_code == 302
    assert response.url == "/password/reset/sent/"
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="user.password_reset_requested").exists()


def test_the_reset_email_waits_in_the_outbox_while_the_broker_is_down_and_the_sweep_sends_it(
    client, requester, django_capture_on_commit_callbacks
):
    with mock.patch(
        "servicedesk.tasks.outbox_deliver_task.delay",
        side_effect=OperationalError("Error 111 connecting to broker. Connection refused."),
    ) as delay:
        response = _request_reset(client, django_capture_on_commit_callbacks, "requester@example.com")

    assert delay.call_count == 1
    assert response.status_code == 302
    assert response.url == "/password/reset/sent/"
    assert mail.outbox == []
    [pending] = OutboxMessage.objects.filter(event="user.password_reset")
    assert (pending.state, pending.recipient) == (OutboxMessage.State.PENDING, "requester@example.com")

    assert outbox_sweep(now=timezone.now() + timedelta(minutes=5)) == 1

    [message] = mail.outbox
    assert message.to == ["requester@example.com"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    link = RESET_LINK.search(message.body).group(1)
    assert client.get(link, follow=True).context["validlink"] is True


def test_a_reset_email_queued_by_the_former_celery_task_is_still_sent(requester):
    assert password_reset_email_send_task.apply(args=(requester.pk, "desk.example", True)).get() is True

    [message] = mail.outbox
    assert message.to == ["requester@example.com"]
    assert message.subject == "Reset your service desk password"
    assert "https://desk.example/password/reset/" in message.body


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [
        ("", "Reset your service desk password", "Hello Wei,"),
        ("zh-hans", "重置您的服务台密码", "Wei，您好："),
    ],
)
def test_the_reset_email_is_in_the_users_language(
    client, db, django_capture_on_commit_callbacks, language, subject, greeting
):
    UserFactory(username="liwei", email="liwei@example.com", full_name="Wei Li", language=language)

    _request_reset(client, django_capture_on_commit_callbacks, "liwei@example.com")

    [message] = mail.outbox
    assert message.subject == subject
    assert message.body.startswith(greeting)
    assert RESET_LINK.search(message.body)


def test_the_reset_email_ignores_the_language_of_the_browser_that_asked(
    client, requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/password/reset/", {"email": "requester@example.com"}, headers={"Accept-Language": "zh-hans"}
        )

    assert mail.outbox[0].subject == "Reset your service desk password"


# Password change


def test_the_password_change_page_changes_the_password_and_is_audited(client, requester):
    client.force_login(requester)
    assert client.get("/password/change/").status_code == 200

    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == "/profile/"
    requester.refresh_from_db()
    assert requester.check_password(NEW_PASSWORD)
    assert client.get("/profile/").status_code == 200
    event = AuditEvent.objects.get(action="user.password_changed")
    assert (event.actor, event.object_id) == (requester, str(requester.pk))


def test_the_password_change_needs_the_old_password(client, requester):
    client.force_login(requester)

    response = client.post(
        "/password/change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    requester.refresh_from_db()
    assert requester.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_changed").exists()


@pytest.mark.django_db
def test_the_password_change_page_needs_a_signed_in_user(client):
    response = client.get("/password/change/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/password/change/"
