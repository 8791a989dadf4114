#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    try:
        import django  # noqa: F401
    except ModuleNotFoundError:
        # `python3 manage.py …` or `./manage.py …`, as Django's own guide says: the system's
        # Python, without the packages scripts/serve installs in .venv (a traceback said so)
        sys.exit(
            f"Django is not installed for {sys.executable}: run .venv/bin/python manage.py "
            "in the checkout (./scripts/serve installs the server in .venv)."
        )
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # a setting the server refuses (environment, .env) is said in one line, as the person
        # who set it reads it, not at the end of a traceback; --traceback still shows where
        if "--traceback" in sys.argv:
            raise
        sys.exit(f"Configuration error: {error}")
    except (OperationalError, InterfaceError) as error:
        # the database down, unreachable or refusing a write (a full disk): one line, as
        # above (export, backup, import… ended in 90 lines of traceback)
        if "--traceback" in sys.argv:
            raise
        said = " ".join(str(error).split())  # one line: psycopg says it in two
        where = (
            "the disk where the database is is full"
            if "disk is full" in said
            else "is the database at DATABASE_URL running and reachable?"
        )
        sys.exit(f"Database error: {said} ({where})")


if __name__ == "__main__":
    main()
