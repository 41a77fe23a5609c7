import re
import threading
import time

import pytest
from celery.signals import before_task_publish, task_postrun
from django.core import mail

from ..factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "tangerine-lighthouse-42"
RESET_LINK = re.compile(r"http://testserver/password/reset/[\w-]+/[\w-]+/")


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


@pytest.fixture
def task_trace():
    """Tasks published to the broker, and the threads that ran them."""
    trace = {"published": [], "ran_in": []}

    def on_publish(sender=None, **kwargs):
        trace["published"].append(sender)

    def on_postrun(sender=None, **kwargs):
        trace["ran_in"].append((sender.name, threading.current_thread().name))

    before_task_publish.connect(on_publish, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    yield trace
    before_task_publish.disconnect(on_publish)
    task_postrun.disconnect(on_postrun)


def test_the_password_reset_email_is_sent_by_the_worker_with_a_working_link(
    client, celery_worker, task_trace
):
    user = UserFactory(username="dora", email="dora@example.com", full_name="Dora Explorer")

    response = client.post("/password/reset/", {"email": "dora@example.com"})

    assert response.status_code == 302
    assert response.url == "/password/reset/sent/"
    # The request queues the lookup only; the worker finds the account and queues the delivery.
    assert task_trace["published"][0] == "servicedesk.password_reset_send"
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker did not send the e-mail within 20 s"
    [message] = mail.outbox
    assert message.to == ["dora@example.com"]
    assert message.subject == "Reset your service desk password"
    assert _wait_for(lambda: len(task_trace["ran_in"]) == 2), "the tasks did not finish"
    assert task_trace["published"] == ["servicedesk.password_reset_send", "servicedesk.outbox_deliver"]
    assert [task for task, _thread in task_trace["ran_in"]] == [
        "servicedesk.password_reset_send",
        "servicedesk.outbox_deliver",
    ]
    assert threading.current_thread().name not in {thread for _task, thread in task_trace["ran_in"]}

    link = RESET_LINK.search(message.body).group(0).removeprefix("http://testserver")
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.url == "/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_healthz_counts_a_running_worker(client, celery_worker):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["checks"]["workers"]["ok"] is True
    assert body["checks"]["workers"]["count"] >= 1
    assert body["status"] == "ok"
