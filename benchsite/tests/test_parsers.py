"""benchsite.parsers: JSON bodies are read from the stream and refused past MAX_SUBMISSION_KB;
a body in a content coding (gzip, br, …) is a 415."""

import gzip
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from documents.models import Document
from inventory.models import Device

pytestmark = pytest.mark.django_db

URL = "/api/benchmark"


def padded(size: int) -> bytes:
    document = {"device_identifier": "big-body", "pad": ""}
    document["pad"] = "x" * (size - len(json.dumps(document)))
    return json.dumps(document).encode()


def test_a_body_above_django_s_own_limit_cites_the_configured_limit(api, settings):
    # 3 MB: over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) as well as MAX_SUBMISSION_KB (1024)
    response = api.generic("POST", URL, padded(3 * 1024 * 1024), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "Request body is larger than the limit of 1024 KiB (3072 KiB sent)."
    )


def test_a_body_just_over_the_limit_is_not_said_to_be_the_limit(api):
    # 1024 KiB and 40 bytes were said to be "1024 KiB sent", the limit itself (contract audit)
    response = api.generic("POST", URL, padded(1024 * 1024 + 40), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "Request body is larger than the limit of 1024 KiB (1025 KiB sent)."
    )


def test_a_raised_limit_above_django_s_own_accepts_the_body(api, settings):
    settings.MAX_SUBMISSION_KB = 4096

    accepted = api.generic("POST", URL, padded(3 * 1024 * 1024), content_type="application/json")
    refused = api.generic("POST", URL, padded(5 * 1024 * 1024), content_type="application/json")

    assert accepted.status_code == 201
    assert refused.status_code == 413
    assert "limit of 4096 KiB" in refused.json()["detail"]


def test_other_json_endpoints_parse_as_before(api):
    created = api.post(URL, json.loads(padded(2048)), format="json")
    device = created.json()["device_id"]

    response = api.patch(f"/api/devices/{device}", {"location": "rack 2"}, format="json")

    assert (response.status_code, response.json()["location"]) == (200, "rack 2")
    broken = api.generic(
        "PATCH", f"/api/devices/{device}", b"{nope", content_type="application/json"
    )
    assert broken.status_code == 400 and "JSON parse error" in broken.json()["detail"]


def test_a_gzip_submission_is_a_415_naming_the_coding_and_stores_nothing(api):
    # read as sent, it was a 400 "JSON parse error - 'utf-8' codec can't decode byte 0x8b"
    body = gzip.compress(json.dumps({"device_identifier": "zipped"}).encode())

    response = api.generic(
        "POST", URL, body, content_type="application/json", HTTP_CONTENT_ENCODING="gzip"
    )

    assert response.status_code == 415
    assert response.json() == {
        "detail": "Content-Encoding 'gzip' is not accepted: send the body uncompressed."
    }
    assert response["Accept-Encoding"] == "identity"
    assert not Device.objects.exists()


def test_a_body_labelled_with_a_coding_it_is_not_in_is_not_stored_as_plain_json(api):
    # a plain body under "Content-Encoding: br" was stored as if the header were not there
    body = json.dumps({"device_identifier": "labelled"}).encode()

    response = api.generic(
        "POST", URL, body, content_type="application/json", HTTP_CONTENT_ENCODING="br"
    )

    assert response.status_code == 415
    assert not Device.objects.exists()


def test_identity_is_no_coding_and_a_token_is_checked_before_the_coding(api, anon):
    body = json.dumps({"device_identifier": "plain"}).encode()

    sent = api.generic(
        "POST", URL, body, content_type="application/json", HTTP_CONTENT_ENCODING="identity"
    )
    anonymous = anon.generic(
        "POST", URL, body, content_type="application/json", HTTP_CONTENT_ENCODING="gzip"
    )

    assert sent.status_code == 201
    assert anonymous.status_code == 401


def test_a_compressed_device_edit_and_document_upload_are_415_too(api):
    device = api.post(URL, {"device_identifier": "edited"}, format="json").json()["device_id"]
    edit = gzip.compress(json.dumps({"location": "rack 9"}).encode())
    upload = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("a.txt", b"hello\n")})

    edited = api.generic(
        "PATCH",
        f"/api/devices/{device}",
        edit,
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )
    uploaded = api.generic(
        "POST",
        f"/api/devices/{device}/docs",
        gzip.compress(upload),
        content_type=MULTIPART_CONTENT,
        HTTP_CONTENT_ENCODING="gzip",
    )

    assert (edited.status_code, uploaded.status_code) == (415, 415)
    assert Device.objects.get(pk=device).location == ""
    assert not Document.objects.exists()
