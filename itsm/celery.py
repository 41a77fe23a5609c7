import os

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

# Production unless told otherwise: a deploy that forgets the variable must not boot with debug settings
# (without SECRET_KEY it then refuses to start). `make run` (Procfile) and manage.py choose local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings.production")

app = Celery("itsm")
# Every CELERY_* Django setting configures Celery (CELERY_BROKER_URL -> broker_url).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Carry the request id of the web request that queued a task into the task's logs and audit events.
app.steps["worker"].add(DjangoStructLogInitStep)
