"""collectstatic --if-changed, which scripts/serve runs on every start: nothing done while the
static files are as they were at the last collect, everything done again when one changed."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from .markers import engine_independent

pytestmark = engine_independent


@pytest.fixture
def static(tmp_path):
    """A static directory of its own with one stylesheet, collected by the production storage
    (hashed, compressed names) into a STATIC_ROOT of its own."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "site.css").write_text(stylesheet("black"))
    root = tmp_path / "static"
    with override_settings(
        STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STATIC_ROOT=root,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        yield source, root


def stylesheet(colour: str) -> str:
    # long enough for whitenoise to keep its compressed copy (a few bytes gain nothing)
    return f"body {{ color: {colour}; }}\n" + "".join(
        f".c{i} {{ margin: 0; }}\n" for i in range(99)
    )


def collect(*args: str) -> str:
    out = StringIO()
    call_command("collectstatic", "--noinput", *args, stdout=out)
    return out.getvalue()


def served(root) -> str:
    """The stylesheet under its hashed name, as the manifest maps it."""
    manifest = json.loads((root / "staticfiles.json").read_text())
    return (root / manifest["paths"]["site.css"]).read_text()


def test_an_unchanged_start_collects_nothing_and_a_changed_file_is_collected(static):
    source, root = static
    assert "1 static file copied" in collect("--if-changed")
    assert served(root) == stylesheet("black")
    (root / "site.css.gz").unlink()  # what a second collect would write again

    assert collect("--if-changed") == "Static files unchanged since they were last collected.\n"
    assert not (root / "site.css.gz").exists()

    # an upgrade's new stylesheet (its time moved on, as unpacking or a checkout does)
    (source / "site.css").write_text(stylesheet("navy"))
    stat = (source / "site.css").stat()
    os.utime(source / "site.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert "1 static file copied" in collect("--if-changed")
    assert served(root) == stylesheet("navy")
    assert (root / "site.css.gz").exists()


def test_a_new_file_or_a_lost_manifest_is_collected_again(static):
    source, root = static
    collect("--if-changed")
    (source / "new.js").write_text("console.log(1);\n")
    assert "1 static file copied" in collect("--if-changed")

    (root / "staticfiles.json").unlink()  # hashed names served through it: it must be there
    assert "unchanged" not in collect("--if-changed")
    assert (root / "staticfiles.json").exists()


def test_without_the_flag_it_collects_as_django_does(static):
    _, root = static
    collect()
    (root / "site.css.gz").unlink()
    assert "unchanged" not in collect()
    assert (root / "site.css.gz").exists()
