from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from benchsite.arguments import path_argument
from inventory.changelog import IMPORT_ACTOR, describe_changes
from inventory.csv_file import MSG_WINDOWS_1252
from inventory.csv_import import ImportFileError, csv_read, devices_import, foreseen_beyond

MSG_LOOK_FIRST = (
    "The file is not UTF-8. Read as Windows-1252 (Excel's CSV in Western Europe), it imports as "
    "--dry-run shows: check its accents there, then import it with --windows-1252, or save it "
    "as CSV UTF-8."
)


class Command(BaseCommand):
    help = "Create and update devices from a CSV file (hostname, fqdn, location, owner, tags, …)."

    SHOWN = 50  # changes listed one per line; the rest are counted

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            type=path_argument,
            help="The CSV file, UTF-8 (with or without BOM) or Windows-1252.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change and save nothing."
        )
        parser.add_argument(
            "--windows-1252",
            action="store_true",
            help="Import a file that is not UTF-8 as Windows-1252 (after checking its accents "
            "with --dry-run).",
        )

    def handle(self, *args, file: Path, dry_run: bool, windows_1252: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            sheet = csv_read(data)
            guessed = MSG_WINDOWS_1252 in sheet.notes
            if guessed and not dry_run and not windows_1252:
                # another code page (DOS's cp850) reads as Windows-1252 too, garbled: a person
                # looks at the accents before anything is written
                raise ImportFileError([MSG_LOOK_FIRST])
            plan = devices_import(rows=sheet.rows, actor=IMPORT_ACTOR, dry_run=dry_run)
        except ImportFileError as exc:
            raise CommandError(f"{file}: nothing imported.\n{exc}") from None
        for note in sheet.notes:
            self.stdout.write(self.style.WARNING(note))
        changes = [("new", c) for c in plan.created] + [("changed", c) for c in plan.updated]
        changes.sort(key=lambda pair: pair[1].line)  # in the file's order
        for kind, change in changes[: self.SHOWN]:
            self._line(kind, change)
        beyond = foreseen_beyond([change for _, change in changes], self.SHOWN)
        if beyond:  # a retirement past the list closes or reopens items: named all the same
            self.stdout.write(
                f"  … and {len(changes) - self.SHOWN} more, of which these close or reopen "
                "attention items:"
            )
            for change in beyond[: self.SHOWN]:
                self._line("changed", change)
            if len(beyond) > self.SHOWN:
                self.stdout.write(f"  … and {len(beyond) - self.SHOWN} more of them")
        elif len(changes) > self.SHOWN:
            self.stdout.write(f"  … and {len(changes) - self.SHOWN} more")
        summary = (
            f"{len(plan.created)} new, {len(plan.updated)} changed, {plan.unchanged} unchanged"
        )
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing was saved.")
            return
        self.stdout.write(self.style.SUCCESS(f"Imported {len(sheet.rows)} row(s): {summary}."))

    def _line(self, kind, change) -> None:
        # a retirement date set or cleared: its attention items closed or reopened
        what = "; ".join((describe_changes(change.changes), *change.consequences))
        self.stdout.write(f"  line {change.line} {change.hostname} ({kind}): {what}")
