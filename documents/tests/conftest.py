"""Fixtures of the documents tests: each test stores its files in its own directory."""

from pathlib import Path

import pytest

from inventory.tests.factories import DeviceFactory


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path) -> Path:
    """UPLOAD_DIR of this test (the default storage follows the STORAGES setting)."""
    location = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def stored_files(upload_dir):
    """stored_files() → the paths of every stored file, relative to UPLOAD_DIR."""

    def list_files() -> list[str]:
        if not upload_dir.exists():
            return []
        return sorted(str(p.relative_to(upload_dir)) for p in upload_dir.rglob("*") if p.is_file())

    return list_files


@pytest.fixture
def device(db):
    return DeviceFactory()
