"""The backups made, as people and Prometheus are told of them (benchsite.models.Backup).

`manage.py backup` records each archive it writes, and `restore` the archive it restored (its
own record was written after it, so the archive does not hold it). The dashboard says when the
last one was made and warns when none was for BACKUP_WARN_HOURS, or none ever was; /metrics
gives its time (`benchtools_last_backup_timestamp_seconds`) for an alert. A nightly cron line
fails quietly: cron mails a failure to an address nobody reads, a checkout moved, a disk full.
"""

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections

from .models import Backup


def backup_recorded(
    *,
    path: Path,
    created_at: datetime,
    size: int,
    damaged: int = 0,
    restored_at: datetime | None = None,
    alias: str = "default",
) -> Backup:
    return Backup.objects.using(alias).create(
        created_at=created_at,
        host=socket.gethostname(),
        path=str(path),
        size=size,
        documents_damaged=damaged,
        restored_at=restored_at,
    )


def backups_unrecordable(alias: str = "default") -> str:
    """What to do when the database has no table of backups (its migration, benchsite 0002,
    not applied yet: `git pull` done, the server not restarted), else ""."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            if Backup._meta.db_table in connection.introspection.table_names(cursor):
                return ""
    except DatabaseError:  # the database itself out of reach: its error says so
        return ""
    return (
        " The database is not migrated to this version yet: start the server (it migrates) or "
        "run manage.py migrate; --keep deleted nothing this time."
    )


@dataclass(frozen=True)
class BackupState:
    """What the dashboard says of the backups: the last one (None: never), and whether to warn:
    it is older than BACKUP_WARN_HOURS, or there is none (BACKUP_WARN_HOURS 0: never). With
    none recorded, the archives BACKUP_DIR holds all the same, oldest first: those of a version
    that recorded none (before 0.8.0), whose nightly backups "No backup has been made yet"
    denied the day of the upgrade."""

    last: Backup | None
    overdue: bool
    unrecorded: tuple[str, ...] = ()  # their names


def backup_state(*, now: datetime) -> BackupState:
    last = Backup.objects.order_by("-created_at", "-id").first()
    hours = settings.BACKUP_WARN_HOURS
    overdue = bool(hours) and (last is None or now - last.created_at > timedelta(hours=hours))
    if not overdue or last is not None:
        return BackupState(last=last, overdue=overdue)
    from .backup.archive import backup_archives  # the package records its archives here

    try:
        unrecorded = tuple(p.name for p in backup_archives(directory=Path(settings.BACKUP_DIR)))
    except OSError:  # unreadable by this account: the warning as when there is none
        unrecorded = ()
    return BackupState(last=None, overdue=True, unrecorded=unrecorded)


def backup_last_time() -> datetime | None:
    return Backup.objects.order_by("-created_at").values_list("created_at", flat=True).first()
