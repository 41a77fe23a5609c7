#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    # Local for developers (migrate, shell, seed_demo, the Makefile): a command line serves no one, and a
    # production runbook exports DJANGO_SETTINGS_MODULE. The servers (wsgi, asgi, Celery) default to
    # production instead.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
