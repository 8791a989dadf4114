from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from benchsite.arguments import path_argument
from benchsite.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Archive the database (a consistent online copy), the uploads and a manifest."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="Then delete the oldest archives beyond the newest N.",
        )
        parser.add_argument(
            "--output-dir",
            type=path_argument,
            metavar="DIR",
            help="Write the archive here instead of BACKUP_DIR.",
        )

    def handle(self, *args, keep: int | None, output_dir: Path | None, **options):
        try:
            result = backup_create(output_dir=output_dir, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for name in result.leftovers:
            self.stdout.write(f"Removed {name}, left by an interrupted backup")
        for reason in result.skipped:
            self.stderr.write(f"Skipped UPLOAD_DIR/{reason}.")
        rows = sum(result.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {result.path} ({_size(result.size)}): {rows} rows, "
                f"{result.files} uploaded file(s)."
            )
        )
        if gone := result.deleted_meanwhile:
            self.stdout.write(
                f"{len(gone)} document(s) were deleted while the backup ran: the archive holds "
                f"them without their file (a restore of it names them)."
            )
        for path in result.pruned:  # pruned once the new archive was written
            self.stdout.write(f"Deleted old archive {path.name}")
        if later := result.dated_later:
            self.stderr.write(
                f"Kept {len(later)} archive(s) dated after this one, not counted by --keep "
                f"(made while the clock was ahead, or the clock was set back since): "
                + ", ".join(path.name for path in later)
                + ". Delete them by hand once you know which clock was right."
            )
        if result.problems:
            for problem in result.problems:  # on stderr: what cron mails
                self.stderr.write(
                    f"  {problem.problem}: {problem.stored_name} "
                    f"(document {problem.document_id} of {problem.device})"
                )
            kept = " Older archives were kept (--keep not applied)." if keep else ""
            raise CommandError(
                f"{len(result.problems)} document(s) have their file missing or damaged in this "
                f"archive (above): the stored file is gone or changed since its upload "
                f"(manage.py check_documents --verify).{kept}"
            )


def _size(size: int) -> str:
    # as the admin's Backups list says it (Django's filesizeformat, units of 1,024): the same
    # archive was "54.9 kB" here and "53.6 KB" there; a small fleet's "0.0 MB" said nothing
    return filesizeformat(size).replace("\xa0", " ")
