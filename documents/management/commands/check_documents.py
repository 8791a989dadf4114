from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.template.defaultfilters import filesizeformat

from documents import storage
from documents.selectors import storage_audit
from documents.services import storage_release_unreferenced


def _size(n: int) -> str:
    return filesizeformat(n).replace("\xa0", " ")  # as the admin shows sizes


MAX_MIN_AGE = 10**9  # minutes: 1,900 years, whose cutoff is still a date


class Command(BaseCommand):
    help = (
        "Check the stored documents against the database: every document's file present and "
        "of the right size (--verify: and SHA-256), and the stored files no document "
        "references. Exit status 1 when a document's file is missing or damaged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Also read every file and compare its SHA-256 with the one recorded at upload.",
        )
        parser.add_argument(
            "--delete-unreferenced",
            action="store_true",
            help="Remove the stored files no document references (left by an interrupted "
            "upload), if untouched for --min-age minutes.",
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            metavar="MINUTES",
            help="Only remove unreferenced files older than this (default 60): an upload in "
            "progress has written its file before its row commits.",
        )

    def handle(self, *args, verify, delete_unreferenced, min_age, **options):
        if not 0 <= min_age <= MAX_MIN_AGE:
            # more was a traceback (OverflowError) once a file was to be removed
            raise CommandError(f"--min-age must be 0 to {MAX_MIN_AGE:,} minutes.")
        try:
            audit = storage_audit(verify=verify)
        except DatabaseError as exc:  # a database not migrated yet, a server down
            raise CommandError(
                f"Cannot read the documents from the database: {exc}. Is it migrated "
                "(manage.py migrate), and does DATABASE_URL point at it?"
            ) from exc
        except Exception as exc:
            if not storage.is_unavailable(exc):
                raise
            raise CommandError(
                f"The document storage did not answer (DOCUMENT_STORAGE): {exc}. Nothing was "
                "checked; run this again once it answers."
            ) from exc
        self.stdout.write(
            f"{audit.documents} documents, {audit.contents} stored contents"
            f"{' (checksums verified)' if verify else ''}."
        )
        for problem in audit.problems:  # on stderr: what cron mails
            self.stderr.write(
                f"  {problem.problem}: {problem.stored_name} "
                f"(document {problem.document_id} of {problem.device})"
            )
        if audit.unreferenced:
            total = sum(size for _, size in audit.unreferenced)
            self.stdout.write(
                f"{len(audit.unreferenced)} stored files ({_size(total)}) no document references:"
            )
            for name, size in audit.unreferenced:
                self.stdout.write(f"  {name} ({_size(size)})")
            if delete_unreferenced:
                removed = storage_release_unreferenced(
                    names=[name for name, _ in audit.unreferenced],
                    older_than=timedelta(minutes=min_age),
                )
                kept = len(audit.unreferenced) - len(removed)
                note = f"; kept {kept}, younger than {min_age} min or referenced again"
                note = note if kept else ""
                self.stdout.write(f"Removed {len(removed)}{note}.")
            else:
                self.stdout.write("  (--delete-unreferenced removes them)")
        for name in audit.foreign:
            self.stdout.write(f"  not a document file, left alone: {name}")
        if audit.problems:
            count = len(audit.problems)
            raise CommandError(
                f"{count} {'document has' if count == 1 else 'documents have'} a missing or "
                "damaged file. Upload the same file again to any device (the good bytes take "
                "the damaged ones' place), or take each back from a backup archive without "
                "touching anything else (`tar -xzf ARCHIVE uploads/NAME` gives the file, to put "
                "in the storage as NAME; manage.py restore would roll the whole database back "
                "to the archive), or delete those documents."
            )
        self.stdout.write(self.style.SUCCESS("Every document's file is in place."))
