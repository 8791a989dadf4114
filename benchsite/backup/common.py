"""What every part of a backup shares: its errors and the row counts of the manifest."""

from django.apps import apps


class BackupError(Exception):
    """A backup that could not be made; nothing was left behind."""


class RestoreError(Exception):
    """An archive that is refused, or a restore that failed."""


def describe(exc: BaseException) -> str:
    """An error as one phrase for people: the OS's wording and the file, when there is one."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


def model_tables() -> dict[str, str]:
    """label → table of every model whose rows live in the database (m2m tables included)."""
    return {
        model._meta.label_lower: model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def count_rows(cursor, quote, existing: set[str]) -> dict[str, int]:
    """Rows per model label, through `cursor`, for the tables in `existing`."""
    counts = {}
    for label, table in sorted(model_tables().items()):
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (model tables)
            counts[label] = cursor.fetchone()[0]
    return counts
