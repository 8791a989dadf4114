"""Property-based: no submission, however hostile, yields a 500 or a half-written row."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.models import Benchmark
from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


@st.composite
def mutated_examples(draw, example):
    """The contract's example with one to three values replaced by arbitrary JSON."""
    document = copy.deepcopy(example)
    paths = [p for p in _paths(document) if p]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return document


def counts():
    return Device.objects.count(), HardwareSnapshot.objects.count(), Benchmark.objects.count()


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.data())
def test_mutated_example_is_stored_whole_or_not_at_all(api, example_document, data):
    document = data.draw(mutated_examples(example_document))
    document.pop("submission_id", None)  # each accepted example must add exactly one benchmark
    before = counts()

    response = api.post("/api/benchmark", document, format="json")

    assert response.status_code in (201, 400), response.content
    after = counts()
    if response.status_code == 400:
        assert after == before
        assert isinstance(response.json(), dict)
    else:
        assert after[1:] == (before[1] + 1, before[2] + 1)


@FUZZ
@given(document=json_values)
def test_arbitrary_json_never_errors(api, document):
    before = counts()
    response = api.generic(
        "POST", "/api/benchmark", json.dumps(document), content_type="application/json"
    )
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert counts() == before


@FUZZ
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_never_error(api, body):
    before = counts()
    response = api.generic("POST", "/api/benchmark", body, content_type="application/json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert counts() == before
