"""The documented management commands given odd arguments (an empty string, a NUL, a number
past any sense) end in one line naming the argument, never a traceback nor a silent guess: an
empty `--output-dir` wrote the archive into the current directory, a NUL in a path was
"ValueError: embedded null byte", a NUL in `rescore --device` a DataError on PostgreSQL."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

NUL = "nas\x00.tar.gz"
HUGE = "99999999999999999999"

CASES = {
    "backup_empty_dir": (["backup", "--output-dir", ""], "argument --output-dir: it is empty"),
    "backup_nul_dir": (["backup", "--output-dir", NUL], "argument --output-dir: 'nas\\x00"),
    "export_empty_output": (
        ["export", "--format", "csv", "--output", ""],
        "argument --output: it is empty",
    ),
    "export_nul_output": (
        ["export", "--format", "csv", "--output", NUL],
        "holds a NUL character, which no path can",
    ),
    "restore_empty": (["restore", "", "--noinput"], "argument archive: it is empty"),
    "restore_nul": (["restore", NUL, "--noinput"], "argument archive: 'nas\\x00"),
    "import_empty": (["import_devices", "  "], "argument file: it is empty"),
    "import_nul": (["import_devices", NUL], "argument file: 'nas\\x00"),
    "rescore_empty_weights": (
        ["rescore", "--weights", "", "--dry-run"],
        "--weights is empty: give the weights to try",
    ),
    "rescore_nul_device": (
        ["rescore", "--device", "nas\x00", "--dry-run"],
        "No device with the hostname 'nas\\x00'",
    ),
    "min_age_past_dates": (
        ["check_documents", "--min-age", HUGE, "--delete-unreferenced"],
        "--min-age must be 0 to 1,000,000,000 minutes",
    ),
}


@pytest.mark.parametrize(("args", "said"), list(CASES.values()), ids=list(CASES))
def test_an_odd_argument_is_refused_in_one_line_naming_it(
    args, said, settings, tmp_path, monkeypatch
):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    monkeypatch.chdir(tmp_path)
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=out, stderr=out)

    assert said in str(refused.value)
    assert "\n" not in str(refused.value)
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # nothing written anywhere
