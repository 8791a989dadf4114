import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from benchsite import __version__
from benchsite.backup import (
    ENGINE_NAMES,
    RestoreError,
    backup_check_restorable,
    backup_restore,
    backup_verify,
)

MSG_NO_TTY = (
    "Refusing to restore without confirmation: standard input is not a terminal. "
    "Pass --noinput to restore anyway."
)
MSG_CANCELLED = "Restore cancelled; nothing was changed."


class Command(BaseCommand):
    help = "Replace the database and the uploads with a backup archive's, after verifying it."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="A benchtools-….tar.gz written by backup.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, archive: Path, interactive: bool, **options):
        try:
            info = backup_verify(archive=archive)
            backup_check_restorable(info=info)
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        manifest = info.manifest
        self.stdout.write(
            f"{archive.name}: verified. Made {manifest['created_at']} by version "
            f"{manifest['app_version']} on {manifest.get('hostname', '?')}; "
            f"{ENGINE_NAMES[info.engine]} database with {sum(info.counts.values())} rows, "
            f"{info.uploads} uploaded file(s)."
        )
        if manifest["app_version"] != __version__:
            self.stdout.write(
                f"This server runs version {__version__}; migrations are applied after restoring."
            )
        if interactive:
            if not sys.stdin.isatty():
                raise CommandError(MSG_NO_TTY)
            self.stdout.write(
                "This REPLACES the whole database and every uploaded file. "
                "Type 'yes' to continue: ",
                ending="",
            )
            self.stdout.flush()
            if sys.stdin.readline().strip().lower() != "yes":
                raise CommandError(MSG_CANCELLED)
        try:
            result = backup_restore(archive=archive, info=info)
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        for label, (expected, found) in sorted(result.count_mismatches.items()):
            self.stderr.write(
                f"Warning: {label} has {found} rows, the archive had {expected} "
                f"(was the server writing meanwhile?)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(result.counts.values())} rows and {result.uploads} uploaded "
                f"file(s) from {archive.name}."
            )
        )
