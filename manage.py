#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # a setting the server refuses (environment, .env) is said in one line, as the person
        # who set it reads it, not at the end of a traceback; --traceback still shows where
        if "--traceback" in sys.argv:
            raise
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
