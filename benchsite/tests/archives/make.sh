#!/bin/bash
# make.sh COMMIT VERSION: benchtools-VERSION-ENGINE.tar.gz here, an archive made by the release
# at COMMIT itself (its migrations, its API, its `manage.py backup`) in a checkout under /tmp.
# SQLite unless DATABASE_URL names an empty PostgreSQL database (under pg_virtualenv, say).
set -euo pipefail
commit=$1 version=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
work=$(mktemp -d /tmp/benchtools-release-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/release" "$work/uploads" "$work/out"
git -C "$repo" archive "$commit" | tar -x -C "$work/release"
ln -s "$repo/.venv" "$work/release/.venv"
export DATABASE_URL=${DATABASE_URL:-sqlite:///$work/db.sqlite3}
case $DATABASE_URL in postgres*) engine=postgresql ;; *) engine=sqlite ;; esac
"$repo/.venv/bin/python" -c "
import sys; sys.path.insert(0, '$repo')
from documents.tests.files import pdf_bytes
open('$work/manual.pdf', 'wb').write(pdf_bytes('EliteDesk 800 G3 manual'))"
cd "$work/release"
export DEBUG=true ENV_FILE=/nonexistent TZ=UTC UPLOAD_DIR="$work/uploads" \
    BACKUP_DIR="$work/backups" API_TOKEN=archive-fixture-token-0123456789 \
    EXAMPLE="$repo/../shared/contract/submission.example.json" PDF="$work/manual.pdf"
[ -f "$EXAMPLE" ] || EXAMPLE="$repo/benchmarks/tests/submission.example.json"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py shell < "$here/populate.py"
.venv/bin/python manage.py backup --output-dir "$work/out"
mv "$work"/out/benchtools-*.tar.gz "$here/benchtools-$version-$engine.tar.gz"
