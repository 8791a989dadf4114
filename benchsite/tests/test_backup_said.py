"""What `manage.py backup` says it wrote: the figures a person checks an archive by."""

import io

import pytest
from django.core.management import call_command

from .test_backup import UPLOADS, site  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_says_how_many_uploaded_files_it_archived(site):  # noqa: F811
    """The archive's database is a member, not an uploaded file: counted, the line said one
    file more than UPLOAD_DIR holds."""
    out = io.StringIO()

    call_command("backup", stdout=out, stderr=io.StringIO())

    assert f"{len(UPLOADS)} uploaded file(s)." in out.getvalue()
