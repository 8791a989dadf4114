"""benchsite.parsers: JSON bodies are read from the stream and refused past MAX_SUBMISSION_KB."""

import json

import pytest

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
