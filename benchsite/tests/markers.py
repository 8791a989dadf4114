"""Markers shared by the operations tests."""

import os

import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "")


def postgresql_only(why: str):
    """Runs in the suite's PostgreSQL pass (scripts/test) only: `why` it needs PostgreSQL."""
    return pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason=f"{why}: runs in the suite's PostgreSQL pass (scripts/test)",
    )


# Subprocess tests that set their own SQLite database (or none): the suite's PostgreSQL run
# would repeat them unchanged, so only the SQLite run spends the seconds.
engine_independent = pytest.mark.skipif(
    DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="engine-independent subprocess test: the SQLite run covers it",
)


def ordered() -> int:
    """The statements a submission costs more on PostgreSQL: there the judgment of its CPU
    model's machines takes the model's advisory lock, reads them again under it (how many per
    methods, their middle figures, the lowest ones, the open items) and gives it back
    (insights.services.attention_evaluate)."""
    return 6 if DATABASE_URL.startswith(("postgres://", "postgresql://")) else 0
