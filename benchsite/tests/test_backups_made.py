"""The backups made, as the dashboard, the admin and /metrics tell them (benchsite.backups_made):
a nightly cron line that stopped is seen before the day a restore is needed."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from benchsite.models import Backup

from .accounts import staff_client
from .test_metrics import samples

pytestmark = pytest.mark.django_db

LAST_BACKUP = ("benchtools_last_backup_timestamp_seconds", ())


def made(hours_ago: float, *, host="nas", damaged=0) -> Backup:
    return Backup.objects.create(
        created_at=timezone.now() - timedelta(hours=hours_ago),
        host=host,
        path=f"/srv/benchtools/backups/benchtools-{hours_ago}.tar.gz",
        size=12_345_678,
        documents_damaged=damaged,
    )


def notes(html: str) -> dict[str, str]:
    """The dashboard's backup notes, by id, as text."""
    return {
        key: re.sub(r"<[^>]+>", "", text).replace("\xa0", " ")
        for key, text in re.findall(r'<p class="errornote" id="(backup-\w+)">(.*?)</p>', html)
    }


def stat(html: str) -> str | None:
    found = re.search(r'id="stat-backup" href="([^"]+)">([^<]+)<', html)
    return found and f"{found[2]} → {found[1]}".replace("\xa0", " ")


def test_a_fleet_never_backed_up_is_told_how(admin_client, settings, tmp_path):
    settings.BACKUP_DIR = str(tmp_path)  # no archive there either (one another test wrote)
    html = admin_client.get("/admin/").content.decode()
    assert "No backup has been made yet" in notes(html)["backup-overdue"]
    assert stat(html) == "never → /admin/benchsite/backup/"
    # the list that link opens says how a line gets there, rather than nothing
    listed = admin_client.get("/admin/benchsite/backup/").content.decode()
    said = re.sub(r"<[^>]+>", "", listed.split('id="backups-how">', 1)[1].split("</p>", 1)[0])
    assert "(none yet: run .venv/bin/python manage.py backup on the server, nightly" in said
    made(hours_ago=2)
    listed = admin_client.get("/admin/benchsite/backup/").content.decode()
    assert "none yet" not in listed and 'id="backups-how"' in listed


def test_archives_of_a_version_that_recorded_none_are_not_denied(admin_client, settings, tmp_path):
    """Upgraded from 0.7.0, which wrote archives but recorded none: the dashboard said "No
    backup has been made yet" beside a BACKUP_DIR of nightly archives, until the next one."""
    settings.BACKUP_DIR = str(tmp_path)
    for name in ("benchtools-20261205-023000.tar.gz", "benchtools-20261206-023000.tar.gz"):
        (tmp_path / name).write_bytes(b"archive")
    (tmp_path / "notes.txt").write_text("not an archive")
    said = notes(admin_client.get("/admin/").content.decode())["backup-overdue"]
    assert said.startswith(
        "No backup recorded yet: BACKUP_DIR holds 2 archives, the newest "
        "benchtools-20261206-023000.tar.gz, made by a version that did not record its backups"
    )
    assert "The next manage.py backup is recorded and ends this warning" in said
    made(hours_ago=2)  # that next one
    assert notes(admin_client.get("/admin/").content.decode()) == {}
    settings.BACKUP_DIR = str(tmp_path / "gone")  # none there: as before
    Backup.objects.all().delete()
    said = notes(admin_client.get("/admin/").content.decode())["backup-overdue"]
    assert said.startswith("No backup has been made yet")


def test_a_backup_made_last_night_is_said_without_a_warning(admin_client):
    made(hours_ago=30)  # within BACKUP_WARN_HOURS, 48: one night's cron missed is no alarm
    html = admin_client.get("/admin/").content.decode()
    assert notes(html) == {}
    assert stat(html) == "1 day, 6 hours ago → /admin/benchsite/backup/"


def test_no_backup_for_longer_than_the_setting_says_since_when_and_where(admin_client, settings):
    made(hours_ago=100, host="old-box")
    made(hours_ago=73, host="app-2")  # the newest, on the second server
    said = notes(admin_client.get("/admin/").content.decode())["backup-overdue"]
    assert said.startswith("No backup for 3 days, 1 hour: the last one was made ")
    assert "on app-2 (backups)" in said and "cron line" in said
    settings.BACKUP_WARN_HOURS = 0  # off
    assert notes(admin_client.get("/admin/").content.decode()) == {}
    settings.BACKUP_WARN_HOURS = 80
    assert notes(admin_client.get("/admin/").content.decode()) == {}


def test_a_last_backup_that_found_documents_damaged_says_so(admin_client):
    made(hours_ago=2, damaged=3)
    said = notes(admin_client.get("/admin/").content.decode())
    assert list(said) == ["backup-damaged"]
    assert said["backup-damaged"].startswith("The last backup found 3 documents whose stored file")


def test_the_backups_are_an_administrators_matter(admin_client):
    made(hours_ago=100)
    viewer = staff_client("inventory.view_device")  # the fleet, not where its archives are
    html = viewer.get("/admin/").content.decode()
    assert stat(html) is None and notes(html) == {} and "/srv/benchtools" not in html
    assert viewer.get("/admin/benchsite/backup/").status_code == 403
    listed = admin_client.get("/admin/benchsite/backup/").content.decode()
    assert "/srv/benchtools/backups/benchtools-100.tar.gz" in listed and "11.8" in listed
    assert admin_client.get("/admin/benchsite/backup/add/").status_code == 403


def test_metrics_give_the_last_backups_time_once_there_is_one(api):
    assert LAST_BACKUP not in samples(api.get("/metrics"))
    made(hours_ago=50)
    newest = made(hours_ago=26)
    assert samples(api.get("/metrics"))[LAST_BACKUP] == newest.created_at.timestamp()
