import os

from django.core.wsgi import get_wsgi_application

# Production unless told otherwise: a deploy that forgets the variable must not boot with debug settings
# (without SECRET_KEY it then refuses to start). `make run` (Procfile) and manage.py choose local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings.production")

application = get_wsgi_application()
