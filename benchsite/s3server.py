"""An S3-compatible object store on loopback for tests: moto in server mode (PyPI moto[server]).

No real object store installs here (no MinIO in Debian, nothing may be downloaded), and moto
answers the S3 HTTP API itself, so boto3 and django-storages run exactly as against a real
store: signed requests, uploads, listings with delimiters, ranged and streamed reads.
"""

import contextlib
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .livetest import free_port, stop
from .s3config import s3_storage

ACCESS_KEY_ID = "benchtools-test-key"
SECRET_ACCESS_KEY = "benchtools-test-secret"  # noqa: S105 (moto accepts any)
REGION = "us-east-1"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    log: Path

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            region_name=REGION,
        )

    def create_bucket(self) -> str:
        """A new, empty bucket of its own name."""
        bucket = f"benchtools-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def environment(self, bucket: str) -> dict[str, str]:
        """The variables that put a server's documents in `bucket` (README, Configuration)."""
        return {
            "DOCUMENT_STORAGE": "s3",
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "S3_REGION": REGION,
        }

    def storage(self, bucket: str, *, endpoint_url: str | None = None, timeout_s=20.0) -> dict:
        """STORAGES["default"] as settings.py makes it from environment(bucket); another
        `endpoint_url` (a store that is down) with this server's credentials."""
        return s3_storage(
            bucket=bucket,
            endpoint_url=endpoint_url or self.endpoint_url,
            access_key=ACCESS_KEY_ID,
            secret_key=SECRET_ACCESS_KEY,
            region=REGION,
            timeout_s=timeout_s,
        )

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in `bucket`: key → content."""
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", ()):
                body = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"]
                found[entry["Key"]] = body.read()
        return found


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2).close()  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not answer on {url}") from None
            time.sleep(0.1)


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    """moto_server on a free loopback port, stopped and its log removed when the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="benchtools-s3-") as workdir:
        log = Path(workdir) / "moto.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_up(url, process, log)
            yield S3Server(endpoint_url=url, log=log)
        finally:
            stop(process, timeout=10)
