#!/bin/sh
# Container entry point: apply migrations, create the admin account when asked, then run the
# CMD (gunicorn) in this process's place, so it gets the signals Docker sends.
set -eu
cd "$(dirname "$0")/.."

python manage.py migrate --noinput

if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
    python manage.py createsuperuser --noinput \
        || echo "entrypoint: admin account not created (see above); starting anyway." >&2
fi

exec "$@"
