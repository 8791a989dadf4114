"""The path arguments of the management commands (backup, export, restore, import_devices),
one rule for all: a path that is empty, or holds a NUL, is refused naming the argument."""

import argparse
from pathlib import Path


def path_argument(value: str) -> Path:
    """argparse's `type` of a path. An empty one (a script's unset variable, `--output-dir
    "$DIR"`) was read as the current directory: backup wrote its archive there, export said
    "Could not write .: Device or resource busy". One holding a NUL (call_command) was a
    traceback, "embedded null byte"."""
    if not value.strip():
        raise argparse.ArgumentTypeError("it is empty: give a path")
    if "\x00" in value:
        raise argparse.ArgumentTypeError(f"{value!r} holds a NUL character, which no path can")
    return Path(value)
