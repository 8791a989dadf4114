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


@dataclass(frozen=True)
class BackupState:
    """What the dashboard says of the backups: the last one (None: never), and whether to warn:
    it is older than BACKUP_WARN_HOURS, or there is none (BACKUP_WARN_HOURS 0: never)."""

    last: Backup | None
    overdue: bool


def backup_state(*, now: datetime) -> BackupState:
    last = Backup.objects.order_by("-created_at", "-id").first()
    hours = settings.BACKUP_WARN_HOURS
    overdue = bool(hours) and (last is None or now - last.created_at > timedelta(hours=hours))
    return BackupState(last=last, overdue=overdue)


def backup_last_time() -> datetime | None:
    return Backup.objects.order_by("-created_at").values_list("created_at", flat=True).first()
