"""Markers shared by the operations tests."""

import os

import pytest

# Subprocess tests that set their own SQLite database (or none): the suite's PostgreSQL run
# would repeat them unchanged, so only the SQLite run spends the seconds.
engine_independent = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="engine-independent subprocess test: the SQLite run covers it",
)
