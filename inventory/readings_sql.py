"""SQL that reads a snapshot's `disk_readings` (inventory.columns.disk_readings: a JSON list, an
object per disk), or its storage's `devices`, inside the database, SQLite's JSON functions or
PostgreSQL's jsonb ones: each disk's object as a row `d`, and a value of it.
insights.smart_selectors sums up a disk's older readings with them, inventory.disk_wear finds
the machines with an old or worn disk, inventory.summary lists the disks' models and sizes.

Every name given here is the caller's own (a column, a reading of inventory.columns), never
text from a request.
"""


def disks_from(vendor: str, column: str) -> str:
    """A FROM item: each disk's object of the JSON list `column` as a row `d` (anything but a
    list: no row, where PostgreSQL's jsonb_array_elements would fail the query)."""
    if vendor == "postgresql":
        return (
            f"jsonb_array_elements(CASE jsonb_typeof({column}) WHEN 'array' THEN {column}"
            " ELSE '[]' END) AS d"
        )
    return f"json_each(CASE json_type({column}) WHEN 'array' THEN {column} ELSE '[]' END) AS d"


def is_object(vendor: str) -> str:
    """Whether the row `d` is a disk's object (a list of anything else names no disk)."""
    return "jsonb_typeof(d.value) = 'object'" if vendor == "postgresql" else "d.type = 'object'"


def text(vendor: str, name: str) -> str:
    """The disk's `name` value as text (NULL without one)."""
    return (
        f"(d.value ->> '{name}')"
        if vendor == "postgresql"
        else f"json_extract(d.value, '$.{name}')"
    )


def number(vendor: str, name: str) -> str:
    """The disk's `name` value as a number: on PostgreSQL, only where is_number holds."""
    if vendor == "postgresql":
        return f"(d.value ->> '{name}')::numeric"
    return f"json_extract(d.value, '$.{name}')"


def is_number(vendor: str, name: str) -> str:
    """Whether the disk's `name` value is a number (not null, absent nor text)."""
    if vendor == "postgresql":
        return f"jsonb_typeof(d.value -> '{name}') = 'number'"
    return f"json_type(d.value, '$.{name}') IN ('integer', 'real')"


def value(vendor: str, name: str) -> str:
    """The disk's `name` value as JSON, of the type it has (a text, a number; NULL without)."""
    if vendor == "postgresql":
        return f"(d.value -> '{name}')"
    return f"json_extract(d.value, '$.{name}')"
