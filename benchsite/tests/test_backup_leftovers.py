"""What an interrupted backup left in BACKUP_DIR goes once nothing in it changed for an hour;
another backup's staging, still being written, stays."""

import os
import time

from benchsite.backup.archive import LEFTOVER_SECONDS, remove_leftovers


def test_a_staging_directory_whose_dump_is_still_being_written_is_kept(tmp_path):
    """A database dump of an hour and more writes into its staging directory's one file: the
    directory itself changes no more once the file is made, and went from under the backup."""
    staging = tmp_path / ".benchtools-tmp-running"
    staging.mkdir()
    (staging / "database").write_bytes(b"SQLite format 3\x00")  # written to just now
    long_ago = time.time() - 2 * LEFTOVER_SECONDS
    os.utime(staging, (long_ago, long_ago))

    assert remove_leftovers(tmp_path) == []
    assert (staging / "database").exists()
