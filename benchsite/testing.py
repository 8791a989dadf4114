"""pytest plugin (loaded with `-p benchsite.testing` before Django starts): test environment.

The suite runs the production settings (DEBUG off); it only supplies the secrets that a real
install keeps in .env, and keeps uploads, backups and the cache in a throwaway directory.
DATABASE_URL is left to the caller, so the same suite runs on SQLite (default) and on PostgreSQL.
"""

import os
import tempfile

TEST_API_TOKEN = "test-fleet-token-0123456789"  # noqa: S105 (tests only)

_scratch = tempfile.mkdtemp(prefix="benchtools-test-")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ["API_TOKEN"] = TEST_API_TOKEN
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ENV_FILE", os.path.join(_scratch, "no.env"))
os.environ.setdefault("UPLOAD_DIR", os.path.join(_scratch, "uploads"))
os.environ.setdefault("BACKUP_DIR", os.path.join(_scratch, "backups"))
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(_scratch, "test.db"))
os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("STATIC_ROOT", os.path.join(_scratch, "static"))
os.environ.setdefault("CACHE_URL", "filecache://" + os.path.join(_scratch, "cache"))
os.makedirs(os.environ["STATIC_ROOT"], exist_ok=True)
