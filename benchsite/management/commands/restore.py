import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db.models import Max

from benchmarks.models import Benchmark
from benchsite import __version__
from benchsite.arguments import path_argument
from benchsite.backup import (
    ENGINE_NAMES,
    RestoreError,
    backup_check_restorable,
    backup_restore,
    backup_verify,
)
from benchsite.models import ApiToken
from benchsite.records_admin import local_time
from documents.models import Document
from insights.models import AttentionItem, Notification
from inventory.models import Device, ManufacturerLink

MSG_NO_TTY = (
    "Refusing to restore without confirmation: standard input is not a terminal. "
    "Pass --noinput to restore anyway."
)
MSG_CANCELLED = "Restore cancelled; nothing was changed."
User = get_user_model()


class Command(BaseCommand):
    help = "Replace the database and the uploads with a backup archive's, after verifying it."

    def add_arguments(self, parser):
        parser.add_argument(
            "archive", type=path_argument, help="A benchtools-….tar.gz written by backup."
        )
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
        made = info.created_at
        self.stdout.write(
            f"{archive.name}: verified. Made {_when(made)} "
            f"by version "
            f"{manifest['app_version']} on {manifest.get('hostname', '?')}; "
            f"{ENGINE_NAMES[info.engine]} database with {sum(info.counts.values())} rows, "
            f"{info.uploads} uploaded file(s)."
        )
        self.say_what_is_replaced(made, info.counts)
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
        for name, kept in result.damaged:
            if kept:
                self.stderr.write(
                    f"Warning: the archive's copy of {name} is damaged (its bytes do not match "
                    f"its name): the intact copy already stored was kept."
                )
            else:
                self.stderr.write(
                    f"Warning: the archive's copy of {name} is damaged (its bytes do not match "
                    f"its name) and no intact copy was stored: restored as archived. An older "
                    f"archive may hold a good one (tar -xzf ARCHIVE uploads/{name}); "
                    f"manage.py check_documents --verify names its documents."
                )
        if result.fileless:
            self.stderr.write(
                f"Warning: {len(result.fileless)} document(s) have no file in this archive (its "
                f"backup named them: missing or damaged in the storage already, or deleted while "
                f"it ran): "
                + ", ".join(
                    f"document {pk} of {host} ({name})" for pk, host, name in result.fileless[:10]
                )
                + (" …" if len(result.fileless) > 10 else "")
                + ". Restore an older archive that has them, or upload them again; "
                "manage.py check_documents lists them."
            )
        if result.left:
            self.stderr.write(
                f"Note: {len(result.left)} file(s) in the uploads that this server did not write "
                f"and the archive does not hold were left as they were: "
                + ", ".join(result.left[:10])
                + (" …" if len(result.left) > 10 else "")
                + "."
            )
        kept = result.notifications
        if kept.not_sent_again:
            self.stdout.write(
                f"{kept.not_sent_again} notification(s) the archive holds as still to send "
                f"were delivered (or given up) since it was made: they are not sent again."
            )
        if kept.waiting_before_too:
            self.stdout.write(
                f"{kept.waiting_before_too} notification(s) the archive holds as still to send "
                f"were still to send before the restore too: they go out once the server runs "
                f"(NOTIFY_URLS)."
            )
        # the others go out: onto another database than the one the archive was made from (a
        # new machine), which of them were delivered since cannot be told (sent twice, unsaid)
        pending = Notification.objects.filter(next_attempt_at__isnull=False).count()
        if unknown := pending - kept.waiting_before_too:
            self.stdout.write(
                f"{unknown} notification(s) the archive holds as still to send, which the "
                f"database it replaced did not hold (another database than the one it was made "
                f"from, or its notifications deleted since), go out once the server runs "
                f"(NOTIFY_URLS): whether they were delivered since cannot be told, and those "
                f"that were go out again."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(result.counts.values())} rows and {result.uploads} uploaded "
                f"file(s) from {archive.name}."
            )
        )

    def say_what_is_replaced(self, made, counts: dict[str, int]) -> None:
        """What the archive holds against what the database holds now, and a warning naming
        what changed after the archive was made: restoring loses it (the server should be
        stopped first)."""
        try:
            now = {label: said[0].objects.count() for label, said in _SAID.items()}
            newest = Benchmark.objects.aggregate(newest=Max("received_at"))["newest"]
            since = {
                newer: rows.filter(**{f"{moment}__gt": made}).count()
                for rows, moment, newer in _CHANGED
            }
            # of those, the ones the archive holds as active (one issued since goes with it)
            valid_again = ApiToken.objects.filter(revoked_at__gt=made, created_at__lte=made).count()
            people = _PEOPLE.exists()
        except DatabaseError:  # no database yet (a new server restoring its first archive)
            return
        self.stdout.write(f"The archive holds {_counts(counts)}.")
        self.stdout.write(
            f"The database now holds {_counts(now)}; "
            + (f"its newest run arrived {_when(newest)}." if newest else "no run.")
        )
        lost = [f"{n:,} {newer}" for newer, n in since.items() if n]
        if lost:
            self.stderr.write(
                f"Warning: since this archive was made ({_when(made)}): {', '.join(lost)}; "
                "restoring loses them. Stop the server first, or take a backup now."
            )
        if valid_again:
            # a token revoked because it leaked works again: said apart, with what to do
            self.stderr.write(
                f"Warning: {valid_again:,} API token(s) revoked since this archive was made are "
                "valid again once it is restored: revoke them again (admin › API tokens)."
            )
        if people:
            # what no timestamp tells, said whatever else changed: a password changed after a
            # leak, an account disabled
            self.stderr.write(
                "Accounts, their passwords and permissions come back as the archive has them: "
                "a password changed or an account disabled since this archive was made is "
                "undone."
            )


# what a restore says it replaces: model and what its count is called
_SAID = {
    model._meta.label_lower: (model, noun)  # by the manifest's labels
    for model, noun in (
        (Device, "device(s)"),
        (Benchmark, "run(s)"),
        (Document, "document(s)"),
        (ManufacturerLink, "manufacturer link(s)"),
        (AttentionItem, "attention item(s)"),
    )
}
# what a restore loses that came after the archive: rows, the time that tells a row changed
# since, and how the warning names those rows (an acknowledgement undone, a token revoked
# because it leaked that works again, an account added are as lost as a run). The accounts are
# people's: not the inactive, passwordless names a token's or the import's changes are
# attributed to in a device's history (inventory.changelog.actor_user), whose "1 account(s)
# added" after a mere bench.sh rename read as someone having made an account
_PEOPLE = User.objects.exclude(is_active=False, password__startswith=UNUSABLE_PASSWORD_PREFIX)
_CHANGED = (
    (Device.objects, "updated_at", "device(s) added or changed"),
    (Benchmark.objects, "received_at", "run(s) arrived"),
    (Document.objects, "uploaded_at", "document(s) uploaded"),
    (ManufacturerLink.objects, "updated_at", "link(s) added or changed"),
    (AttentionItem.objects, "opened_at", "attention item(s) opened"),
    (AttentionItem.objects, "closed_at", "attention item(s) closed or acknowledged"),
    (ApiToken.objects, "created_at", "API token(s) issued"),
    (ApiToken.objects, "revoked_at", "API token(s) revoked"),
    (_PEOPLE, "date_joined", "account(s) added"),
)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(label, 0):,} {noun}" for label, (_, noun) in _SAID.items())


def _when(moment) -> str:
    # the archive's and the database's times alike: local, to the second
    return local_time(moment, seconds=True, zoned=True)
