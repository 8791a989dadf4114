"""Accents ignored by a device search: "Helene" finds the machines of "Hélène", "batiment" the
ones in "Bâtiment B", and "ÉLODIE" finds "élodie" on SQLite too (its LIKE ignores the case of
ASCII letters only).

`field__folded__icontains` is the lookup (registered on CharField and TextField by the app's
ready()); like Django's own `unaccent` it folds both sides, the stored text and the term:
- PostgreSQL: its `unaccent` extension (shipped with PostgreSQL, trusted since 13: the
  database's owner may create it), which migration inventory 0021 creates where the account
  may; where it could not, the text is compared as stored (README, "Moving to PostgreSQL");
- SQLite: `bt_fold`, a function given to each connection: the Unicode decomposition without
  its marks, in lower case, and the letters unaccent writes otherwise (ø, ł, ß, œ…).
Measured on 10,000 devices (perf/reads.py --only search; README, "Performance"): SQLite p50
39–42 → 47–50 ms, PostgreSQL 55 → 67–71 ms; PostgreSQL's built-in translate() with a table of
the accented Latin letters took 1.5 s."""

import unicodedata

from django.db import DatabaseError, transaction
from django.db.models import CharField, TextField, Transform

# letters Unicode does not decompose into a base letter and a mark, written as PostgreSQL's
# unaccent writes them in its unaccent.rules ("Søren", "Łódź", "Straße", "Œuvre": "soren",
# "lodz", "strasse", "oeuvre")
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ı": "i"}
    | {"ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}
    # and its punctuation: "Bureau d’Anaïs" found by "d'anais", typed on a keyboard
    | {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "«": "<<", "»": ">>"}
)


def fold(text: str | None) -> str | None:
    """`text` without its letters' marks, in lower case (bt_fold). ASCII text is returned as it
    is: SQLite's LIKE already ignores its case."""
    if text is None or text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.lower()).translate(_UNDECOMPOSED)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Folded(Transform):
    bilateral = True
    lookup_name = "folded"

    def as_sql(self, compiler, connection):
        return compiler.compile(self.lhs)  # a database without folding: the text as stored

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"bt_fold({sql})", params

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        # a query is made before it is sent: the first of a new connection was made before the
        # connection told whether it has unaccent (and a search found "Hélène" one time in two)
        connection.ensure_connection()
        if getattr(connection, "bt_unaccent", False):
            return f"unaccent({sql})", params
        return sql, params


def caseless(text: str | None) -> str | None:
    """`text` in upper case, letter by letter as PostgreSQL's UPPER() writes it (bt_upper):
    SQLite's own upper() and LIKE know the case of ASCII letters only, so `iexact` took
    "BÂTIMENT B" for another place than "Bâtiment B" there, where PostgreSQL took them for one.
    A letter Python writes as two in upper case (ß: SS) stays as it is, as PostgreSQL keeps it;
    Python's lower() told "ΟΔΟΣ" from "οδοσ" (a final Σ is ς) where PostgreSQL did not."""
    if text is None or text.isascii():
        return text and text.upper()
    return "".join(up if len(up := letter.upper()) == 1 else letter for letter in text)


class Caseless(Transform):
    """`field__caseless=value`: an exact match whatever the case of any letter, accents kept
    ("Hélène" is not "Helene"), on SQLite as on PostgreSQL (`iexact` on SQLite: ASCII only)."""

    bilateral = True
    lookup_name = "caseless"

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"UPPER({sql})", params  # as Django's iexact on PostgreSQL

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"bt_upper({sql})", params


def connected(sender=None, connection=None, **kwargs) -> None:
    """connection_created: gives an SQLite connection bt_fold; notes whether a PostgreSQL one
    has unaccent (one catalogue read per connection: they are kept, CONN_MAX_AGE)."""
    if connection is None:
        return
    if connection.vendor == "sqlite":
        connection.connection.create_function("bt_fold", 1, fold, deterministic=True)
        connection.connection.create_function("bt_upper", 1, caseless, deterministic=True)
    elif connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT to_regprocedure('unaccent(text)') IS NOT NULL")
            connection.bt_unaccent = cursor.fetchone()[0]


def install() -> None:
    for field in (CharField, TextField):
        field.register_lookup(Folded)
        field.register_lookup(Caseless)


def create_unaccent(connection) -> str | None:
    """Create PostgreSQL's unaccent extension where the account may (migration 0021, and a
    restore into a database without it); None when it is there, else why it is not. A failure
    leaves the caller's transaction as it was."""
    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    except DatabaseError as exc:
        return str(exc).strip().splitlines()[0]
    connection.bt_unaccent = True  # a connection made before: it has it now
    return None
