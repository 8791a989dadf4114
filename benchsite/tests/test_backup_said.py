"""What `manage.py backup` says it wrote: the figures a person checks an archive by."""

import io

import pytest
from django.core.management import call_command

from .fleet import make_fleet
from .test_backup import UPLOADS, throwaway_directories

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_says_how_many_uploaded_files_it_archived(settings, tmp_path):
    """The archive's database is a member, not an uploaded file: counted, the line said one
    file more than UPLOAD_DIR holds."""
    throwaway_directories(settings, tmp_path)
    make_fleet()
    for name, data in UPLOADS.items():
        path = settings.UPLOAD_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    out = io.StringIO()

    call_command("backup", stdout=out, stderr=io.StringIO())

    assert f"{len(UPLOADS)} uploaded file(s)." in out.getvalue()
