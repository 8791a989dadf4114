"""Django's collectstatic, with --if-changed: nothing done when the static files are as they
were at the last collect.

scripts/serve collects on every start, so that an upgrade's new styles and scripts are served.
With the hashed, compressed names of the production storage each collect hashed and compressed
every file again (33 MB, most of it the API pages' Swagger UI and ReDoc) whether or not one had
changed: 3.0 s of CPU on each start here (0.6 s with --if-changed), far more on a small board.
--if-changed first compares a fingerprint of the files the finders list (their names, sizes and
modification times, with the storage and the options that shape the result) with the one the
last collect wrote beside them; a new version, an upgraded package or an edited file changes it.
Without the flag it is Django's collectstatic, which writes the fingerprint too.
"""

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as CollectStaticCommand,
)

# in STATIC_ROOT, beside what it describes: gone with it when the directory is removed
FINGERPRINT = ".collectstatic-fingerprint"


class Command(CollectStaticCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Do nothing when the static files are the same as at the last collectstatic "
            "(names, sizes, modification times); scripts/serve runs it so on every start.",
        )

    def handle(self, **options):
        self.set_options(**options)
        marker = Path(settings.STATIC_ROOT) / FINGERPRINT
        fingerprint = self.fingerprint()
        if options["if_changed"] and self.collected(marker, fingerprint):
            if self.verbosity >= 1:
                self.stdout.write("Static files unchanged since they were last collected.")
            return None
        result = super().handle(**options)
        if not self.dry_run:
            marker.write_text(fingerprint + "\n")
        return result

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        storage = settings.STORAGES["staticfiles"]
        patterns = sorted(self.ignore_patterns)  # a set made a list: in no set order
        shape = (storage, settings.STATIC_URL, patterns, self.symlink, self.post_process)
        digest.update(repr(shape).encode())
        listed = []
        for finder in finders.get_finders():
            for path, source in finder.list(self.ignore_patterns):
                prefix = getattr(source, "prefix", None)
                stat = os.stat(source.path(path))
                listed.append(
                    f"{os.path.join(prefix, path) if prefix else path}\0{source.path(path)}"
                    f"\0{stat.st_size}\0{stat.st_mtime_ns}"
                )
        digest.update("\n".join(sorted(listed)).encode())
        return digest.hexdigest()

    def collected(self, marker: Path, fingerprint: str) -> bool:
        try:
            if marker.read_text().strip() != fingerprint:
                return False
        except OSError:
            return False
        # hashed names are served through the manifest: it must still be there
        manifest = getattr(self.storage, "manifest_name", None)
        return manifest is None or self.storage.exists(manifest)
