"""Schema-based fuzzing of the real server: every operation of /api/schema/, generated requests
(valid and invalid) with a valid token. No answer may be a 5xx, and every answer must be one the
schema describes, with a body that matches it.

Bounded for the suite (EXAMPLES per operation, derandomised so that a run is reproducible);
perf/fuzz.py runs the same checks with thousands of cases and a fresh seed.
"""

import copy
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from benchsite.livetest import live_server

pytestmark = [pytest.mark.live, pytest.mark.fuzz]

EXAMPLES = 8  # per operation and mode (valid, invalid): a few hundred requests in all
SEED_DEVICES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, example_document):
    # AUTH_FAILURE_RATE="": generated requests that fail authentication must not get the
    # fuzzer's own address throttled (429 is described, but would hide every other answer).
    with live_server(
        tmp_path_factory.mktemp("fuzz"), extra_env={"AUTH_FAILURE_RATE": ""}
    ) as server:
        for i in range(SEED_DEVICES):  # objects with small ids, so lookups also find things
            document = copy.deepcopy(example_document)
            document["device_identifier"] = f"fuzz-{i}"
            document["submission_id"] = str(uuid.uuid4())
            document["hardware"]["system"] = {"machine_id": f"{i:032x}"}
            assert server.submit(document)[0] == 201
        yield server


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/api/schema/")


def test_the_schema_lists_the_contract_operations(api_schema):
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert {
        "POST /api/benchmark",
        "GET /api/devices",
        "GET /api/devices/{id}",
        "GET /api/stats",
    } <= labels


def test_every_answer_is_described_and_none_is_a_server_error(api_schema, fuzz_server):
    # One hypothesis run per operation and mode (schemathesis' own pytest integration needs
    # the schema at collection time; this one is served by the live server).
    headers = {"Authorization": f"Bearer {fuzz_server.token}"}
    failures, cases = {}, 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                nonlocal cases
                cases += 1
                case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

            try:
                check()
            except Unsatisfiable:
                pass  # nothing invalid to generate for this operation (no parameters)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
    assert cases >= 100
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())


def test_a_long_query_is_answered_by_the_api_in_json(fuzz_server):
    """110 tags of 35 characters in one ?tag= list passed gunicorn's default request line of
    4,094 bytes: gunicorn refused it itself, an HTML 414, before the API could answer."""
    import json
    import urllib.request

    tags = "&".join(f"tag=rack-{n:03d}-{'x' * 26}" for n in range(110))
    request = urllib.request.Request(
        f"{fuzz_server.url}/api/devices?{tags}",
        headers={"Authorization": f"Bearer {fuzz_server.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
        assert answer.headers["Content-Type"] == "application/json"
        assert json.loads(answer.read())["count"] == 0  # no device carries them
