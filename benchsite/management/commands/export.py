import codecs
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from benchsite.arguments import path_argument
from benchsite.export import FORMATS, OF_DEVICES, WHATS, ExportError, ExportStream
from benchsite.files import atomic_file
from inventory.models import Device

# what a terminal would run rather than show (ESC sequences retitle the window, clear the
# screen, write the clipboard): on a terminal, each is shown as U+FFFD; a file or a pipe gets
# the bytes as stored
_TERMINAL_CONTROLS = dict.fromkeys(
    [c for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r"], "\ufffd"
)


def rows_named(count: int, what: str) -> str:
    """ "1 device", "4 attention items" ("Exported 4 attention." was said)."""
    meta = (Device if what == "devices" else OF_DEVICES[what])._meta
    return f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"


class Command(BaseCommand):
    help = "Export devices, snapshots or benchmarks as JSON or CSV, streamed (constant memory)."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=FORMATS, help="Output format.")
        parser.add_argument(
            "--what", default="devices", choices=WHATS, help="What to export (default: devices)."
        )
        parser.add_argument(
            "--output",
            type=path_argument,
            help="Write to this file (created whole or not at all) instead of standard output.",
        )

    def handle(self, *args, format: str, what: str, output: Path | None, **options):
        try:
            # the server's operator: the devices with their latest hardware
            stream = ExportStream(fmt=format, what=what, hardware=True)
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        if output is None:
            on_terminal = self.stdout.isatty()
            # JSON and the CSV are UTF-8, as --output writes them, whatever the locale: a
            # Latin-1 one stopped on the first "’" of a hostname with a traceback
            encoding = getattr(self.stdout, "encoding", None)  # None: a StringIO (tests)
            if encoding and codecs.lookup(encoding).name != "utf-8":
                self.stdout.reconfigure(encoding="utf-8")
            try:
                for chunk in stream:
                    if on_terminal:
                        chunk = chunk.translate(_TERMINAL_CONTROLS)
                    self.stdout.write(chunk, ending="")
                self.stdout.flush()
            except BrokenPipeError:
                # the reader had enough (`export … | head`): no traceback, and nothing more
                # for Python to flush into the closed pipe at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
            except OSError as exc:
                # a full disk under `export > file`: said, not a traceback; what was written
                # is cut short, which the non-zero exit tells (--output writes whole or not)
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise CommandError(
                    f"Could not write to standard output: {exc.strerror or exc}; what was "
                    "written is incomplete (--output FILE writes a whole file or none)."
                ) from None
            # the data owns stdout; the summary goes to stderr
            self.stderr.write(f"Exported {rows_named(stream.rows, what)}.", style_func=lambda s: s)
            return
        try:
            # the whole inventory (serials, owners, locations): this account's alone, whatever
            # the umask (atomic_file's 0600), as the backups are
            with atomic_file(output, mode="w", encoding="utf-8", newline="") as handle:
                for chunk in stream:
                    handle.write(chunk)
        except OSError as exc:
            raise CommandError(f"Could not write {output}: {exc.strerror or exc}.") from None
        said = f"Exported {rows_named(stream.rows, what)} to {output}."
        self.stdout.write(self.style.SUCCESS(said))
