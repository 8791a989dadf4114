"""Checks of the stored inventory, said by `manage.py check --database default` and by migrate
(scripts/serve runs it at every start)."""

from django.core import checks
from django.db import DatabaseError

from .models import Tag, tag_key


@checks.register(checks.Tags.database)
def check_tags_one_name(app_configs, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Tags whose names differ only in the case of an accented letter ("Étage", "étage"): one
    name since 0.14.2, two tags an earlier version let in on SQLite (its LOWER() folds ASCII
    letters alone). ?tag= lists the machines of both, a device given the name gets the oldest:
    said until a person renames or merges them."""
    if not databases:
        return []
    try:
        names = list(Tag.objects.order_by("pk").values_list("name", flat=True))
    except DatabaseError:  # not migrated yet
        return []
    by_case: dict[str, list[str]] = {}
    for name in names:
        by_case.setdefault(tag_key(name), []).append(name)
    return [
        checks.Warning(
            f"The tags {' and '.join(repr(name) for name in same)} are one name whatever its "
            "case: /api/devices?tag= lists the machines of each, and a device given that name "
            f"gets {same[0]!r}.",
            hint="Rename one, or give its machines the other and delete it (admin, Tags).",
            id="inventory.W001",
        )
        for same in by_case.values()
        if len(same) > 1
    ]
