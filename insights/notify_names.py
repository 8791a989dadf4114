"""The name an item's "resolved" is told under: the one its "opened" was sent under (README,
"Notifications"), which a receiver pairs it by, the machine renamed since or not."""

from .models import Notification as Row


def announced_names(item_ids: list[int]) -> dict[int, str]:
    """The machine's name in each item's latest opening (or reopening) notification still
    kept, its title `<hostname>: <kind>`: the name the "resolved" keeps (a machine renamed
    since, its "resolved" under the new name was paired with no "opened" by a receiver)."""
    rows = (
        Row.objects.filter(item_id__in=item_ids)
        .exclude(type="success")
        .order_by("item_id", "id")
        .values_list("item_id", "title", "item__kind")
    )
    names = {}
    for item_id, title, kind in rows.iterator():  # the last of each item's, its latest
        if title.endswith(f": {kind}"):  # not one cut at 255 characters
            names[item_id] = title.removesuffix(f": {kind}")
    return names
