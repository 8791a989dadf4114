"""STORAGES["default"] for DOCUMENT_STORAGE=s3, made here for settings.py and for the tests' S3
server alike (benchsite/s3server.py)."""

from django.core.exceptions import ImproperlyConfigured

CONNECT_TIMEOUT_S = 5  # a store that does not accept the connection at all


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None,
    access_key: str | None,
    secret_key: str | None,
    region: str | None,
    timeout_s: float,
) -> dict:
    """The S3 storage of documents. `timeout_s` bounds each wait for the store's answer, and a
    request is tried twice at most: a store that accepts connections and never answers costs a
    request about twice that, then a 503 (botocore's defaults, 60 s tried three times, held a
    server thread for three minutes per download; on SQLite an upload held every writer)."""
    from botocore.config import Config  # only a server storing in S3 loads botocore

    if endpoint_url and not endpoint_url.startswith(("http://", "https://")):
        # minio.lan:9000 passed the checks, and each upload and download then failed
        raise ImproperlyConfigured(
            f"S3_ENDPOINT_URL must begin with http:// or https:// (http://minio.lan:9000), "
            f"not {endpoint_url!r}."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # empty: AWS itself; credentials and region left empty come from boto3's own
            # chain (AWS_* variables, ~/.aws, an instance role)
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region or None,
            # one content, one name (documents/storage.py): rewriting it rewrites the same bytes
            "file_overwrite": True,
            "querystring_auth": False,  # documents leave through the API, never by bucket URL
            "client_config": Config(
                connect_timeout=min(CONNECT_TIMEOUT_S, timeout_s),
                read_timeout=timeout_s,
                # two tries in all (botocore's max_attempts would be the retries after the first)
                retries={"total_max_attempts": 2, "mode": "standard"},
            ),
        },
    }
