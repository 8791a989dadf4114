"""The compiled validation path agrees with DRF's SubmissionSerializer, document for document.

submission_fast_validate() may only ever say "valid, and here is exactly what DRF would have
returned" or "ask DRF" (None). Every error body comes from DRF itself; test_submission.py checks
those shapes through the API.
"""

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from benchmarks.serializers import SubmissionSerializer, submission_fast_validate

from .test_submission_fuzz import json_values, mutated_examples


def drf_validate(document):
    """DRF's own answer, bypassing the fast path: (True, data) or (False, errors)."""
    serializer = SubmissionSerializer()
    try:
        return True, serializers.Serializer.run_validation(serializer, document)
    except serializers.ValidationError as exc:
        return False, exc.detail


def assert_agrees(document):
    fast = submission_fast_validate(copy.deepcopy(document))
    ok, drf = drf_validate(copy.deepcopy(document))
    if fast is not None:
        assert ok, f"fast path accepted what DRF refuses: {drf}"
        assert fast == drf
        assert json.dumps(fast, default=str, sort_keys=True) == json.dumps(
            drf, default=str, sort_keys=True
        )  # same types too (4.0 → 4 for counts, 4 → 4.0 for numbers)


FAST = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_contract_example_takes_the_fast_path(example_document):
    assert submission_fast_validate(example_document) is not None
    assert_agrees(example_document)


def test_a_minimal_submission_takes_the_fast_path():
    assert submission_fast_validate({"device_identifier": "bare"}) == {"device_identifier": "bare"}


def test_invalid_documents_are_left_to_drf(example_document):
    document = copy.deepcopy(example_document)
    document["hardware"]["cpu"]["cores"] = "4"
    assert submission_fast_validate(document) is None
    assert submission_fast_validate([]) is None
    assert submission_fast_validate({"device_identifier": "x", "submission_id": 5}) is None


def test_values_are_normalised_as_drf_does():
    document = {
        "device_identifier": "  padded  ",
        "submission_id": "5B0F1C9E3F7A4D1E9A512C1D7E0B9F44",
        "hardware": {"cpu": {"cores": 4.0, "base_freq_ghz": 3, "flags": [" avx "]}},
        "results": {"cpu": {"score": 100}},
    }
    assert_agrees(document)
    fast = submission_fast_validate(document)
    assert fast["device_identifier"] == "padded"
    assert type(fast["hardware"]["cpu"]["cores"]) is int
    assert type(fast["hardware"]["cpu"]["base_freq_ghz"]) is float
    assert fast["hardware"]["cpu"]["flags"] == ["avx"]


@FAST
@given(data=st.data())
def test_mutated_examples_agree(example_document, data):
    assert_agrees(data.draw(mutated_examples(example_document)))


@FAST
@given(document=json_values)
def test_arbitrary_json_agrees(document):
    assert_agrees(document)


nullable_sections = st.fixed_dictionaries(
    {"device_identifier": st.text(max_size=12)},
    optional={
        "bench_script_version": st.none() | st.text(max_size=5),
        "hardware": st.none()
        | st.fixed_dictionaries(
            {},
            optional={
                "cpu": st.none()
                | st.dictionaries(st.sampled_from(["cores", "flags"]), json_values),
                "ram": st.none()
                | st.fixed_dictionaries(
                    {}, optional={"layout": st.none() | st.lists(st.none() | st.just({}))}
                ),
            },
        ),
        "results": st.none()
        | st.dictionaries(st.sampled_from(["cpu", "memory", "global_score"]), json_values),
    },
)


@FAST
@given(document=nullable_sections)
def test_null_and_empty_sections_agree(document):
    assert_agrees(document)
