#!/bin/sh
# Container entry point: apply migrations (unless MIGRATE_ON_START=false), create the admin
# account when asked, then run the CMD (gunicorn) in this process's place, so it gets the
# signals Docker sends.
set -eu
cd "$(dirname "$0")/.."
# the database, the uploads and the backups: readable by the server's account alone
umask 077

# MIGRATE_ON_START as the settings read it; this also stops here, naming the variable, when a
# secret is missing. With several app servers only one job migrates (docker-compose.yml, profile
# cluster): parallel migrations of one database race.
migrate=$(python manage.py shell -v 0 -c \
    'from django.conf import settings; print(int(settings.MIGRATE_ON_START))')
if [ "$migrate" = 1 ]; then
    python manage.py migrate --noinput
else
    echo "entrypoint: MIGRATE_ON_START is false: migrations are left to the migrate job." >&2
    # this version on a database not yet migrated to it answers 500s (a column it writes is not
    # there yet: servers upgraded at once): it starts once the database is migrated, as
    # scripts/serve does
    said=""
    until error=$(python manage.py migrate --check 2>&1 >/dev/null); do
        if [ -z "$said" ]; then
            echo "entrypoint: waiting for the database to be migrated to this version..." >&2
            said=1
        fi
        # a database it cannot reach is said, once
        if [ -n "$error" ] && [ "$said" != 2 ]; then
            printf '%s\n' "$error" | tail -n 1 >&2
            said=2
        fi
        sleep 3
    done
    if [ -n "$said" ]; then
        echo "entrypoint: the database is migrated: starting." >&2
    fi
fi

if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
    # on every start of the container: an account already there is the usual case (it said
    # "CommandError: … already taken" and "not created" at each restart), as scripts/serve says
    if said=$(python manage.py createsuperuser --noinput 2>&1); then
        echo "$said"
    else
        case $said in
            *"already taken"*) echo "entrypoint: admin account ${DJANGO_SUPERUSER_USERNAME} already exists." ;;
            *) echo "entrypoint: admin account ${DJANGO_SUPERUSER_USERNAME} not created: ${said#CommandError: }; starting anyway." >&2 ;;
        esac
    fi
fi

exec "$@"
