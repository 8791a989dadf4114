"""The OpenAPI document describes every answer the API gives (gaps found by fuzzing the live
server: perf/fuzz.py, test_api_answers_match_the_schema.py)."""

import re

import jsonschema_rs
import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield f"{method.upper()} {path}", operation


def test_every_operation_with_an_id_describes_its_404(schema):
    missing = [
        label
        for label, operation in operations(schema)
        if any(p["in"] == "path" for p in operation.get("parameters", []))
        and "404" not in operation["responses"]
    ]
    assert missing == []


def test_every_authenticated_operation_describes_401_403_and_429(schema):
    public = [
        label for label, operation in operations(schema) if not any(operation.get("security", []))
    ]
    assert public == ["GET /api/health"]  # every other one takes a token (or a session)
    missing = [
        (label, code)
        for label, operation in operations(schema)
        if any(operation.get("security", []))
        for code in ("401", "403", "429")
        if code not in operation["responses"]
    ]
    assert missing == []


def test_every_operation_describes_the_503_of_a_database_it_cannot_use_with_retry_after(schema):
    for label, operation in operations(schema):
        answer = operation["responses"].get("503")
        assert answer is not None, label
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer"}, label
        if "429" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["429"]["headers"], label


def test_406_is_described_where_an_unacceptable_accept_gets_it(schema, api):
    """Each GET without a path parameter, asked for an image: it answers 406 exactly where the
    document says it may (/metrics, /api/health and /api/export answer in their one format)."""
    checked = {}
    for label, operation in operations(schema):
        method, path = label.split(" ", 1)
        if method != "GET" or "{" in path:
            continue
        answered = api.get(path, HTTP_ACCEPT="image/png").status_code
        checked[path] = (answered == 406, "406" in operation["responses"])
    assert checked["/api/devices"] == (True, True)
    assert checked["/metrics"] == checked["/api/health"] == checked["/api/export"] == (False, False)
    assert {
        path for path, (answered, described) in checked.items() if answered != described
    } == set()


def test_paginated_lists_describe_the_404_of_a_page_past_the_end(schema):
    for label in ("GET /api/devices", "GET /api/devices/{id}/snapshots"):
        assert "404" in dict(operations(schema))[label]["responses"], label


def test_stats_is_described_as_one_object_not_a_list(schema):
    body = dict(operations(schema))["GET /api/stats"]["responses"]["200"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/Stats"}


def test_snapshots_are_described_as_a_paginated_list(schema):
    body = dict(operations(schema))["GET /api/devices/{id}/snapshots"]["responses"]["200"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/PaginatedSnapshotList"


def test_the_json_export_is_described_as_an_array(schema):
    body = dict(operations(schema))["GET /api/export"]["responses"]["200"]["content"]
    assert body["application/json"]["schema"]["type"] == "array"


def test_a_pages_next_and_previous_are_described_as_possibly_null(schema, api):
    """The document is OpenAPI 3.1, where "nullable" is no keyword: a 3.1 validator read next
    and previous as strings never null, and every first page's previous: null failed it."""
    import jsonschema

    from inventory.tests.factories import DeviceFactory

    DeviceFactory()
    answer = api.get("/api/devices").json()
    assert answer["previous"] is None and answer["next"] is None
    wrapper = schema["components"]["schemas"]["PaginatedDeviceListList"]
    jsonschema.validate(
        {name: answer[name] for name in ("count", "next", "previous")},
        {
            **wrapper,
            "required": [],
            "properties": {
                name: wrapper["properties"][name] for name in ("count", "next", "previous")
            },
        },
    )


def test_a_download_is_described_with_each_type_a_document_can_have(schema):
    body = dict(operations(schema))["GET /api/docs/{id}/download"]["responses"]["200"]
    assert set(body["content"]) == {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "text/plain; charset=utf-8",
    }


def test_every_error_answer_describes_its_json_body(schema):
    """The server answers every error with a JSON object (`detail`, or the fields it names):
    an error the document declares without a body left a generated client unable to read why
    a submission, a comparison or a document upload was refused."""
    undescribed = [
        (label, status)
        for label, operation in operations(schema)
        for status, answer in operation["responses"].items()
        if str(status)[0] in "45" and not answer.get("content", {}).get("application/json")
    ]
    assert undescribed == []


def patterns(node, where="#"):
    """Every `pattern` of the document, with where it stands."""
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield where, node["pattern"]
        for key, value in node.items():
            yield from patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from patterns(value, f"{where}/{i}")


def parameter(schema, path: str, name: str) -> dict:
    return next(
        p["schema"] for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name
    )


def test_what_the_server_refuses_is_published_as_patterns_a_client_reads_alike(schema):
    """Fuzzing the live server with Schemathesis: the hostname of PUT/PATCH /api/devices/{id}
    was published as the class of control characters a name had to contain (the validator's
    inverted class, the reverse of the rule); a submission's device_identifier with \\U000e0000,
    an escape of Python's alone, which JavaScript's regexes read as a range from 0 to U (a
    generated client refused "web-01"); the ordering and the compared ids as any text, and
    the muted kinds as any word, each of which the server answers with a 400."""
    python_only = re.compile(r"\\[UAZ]|\(\?P<|\(\?[aiLmsux]")
    assert [where for where, pattern in patterns(schema) if python_only.search(pattern)] == []
    components = schema["components"]["schemas"]
    for component, field in (
        ("PatchedDeviceMuteRequest", "hostname"),
        ("DeviceMuteRequest", "hostname"),
        ("SubmissionRequest", "device_identifier"),
    ):
        name = jsonschema_rs.validator_for(components[component]["properties"][field])
        assert name.is_valid("web-01") and name.is_valid("Bureau d’Hélène"), component
        assert not name.is_valid("nas\x7f") and not name.is_valid("pc\u00a0compta"), component
    ordering = jsonschema_rs.validator_for(parameter(schema, "/api/devices", "ordering"))
    assert ordering.is_valid("-global_score") and ordering.is_valid("hostname, -last_benchmark_at")
    assert not ordering.is_valid("foo") and not ordering.is_valid("-memory_score")
    devices = jsonschema_rs.validator_for(parameter(schema, "/api/compare", "devices"))
    assert devices.is_valid("1,2,3") and devices.is_valid("4, 12")
    assert not devices.is_valid("abc") and not devices.is_valid("7") and not devices.is_valid("")
    muted = components["PatchedDeviceMuteRequest"]["properties"]["attention_muted"]
    kinds = components[muted["items"]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert sorted(kinds) == ["below_peers", "disk_hot", "score_regression"]


def test_a_devices_tags_as_read_are_valid_to_send_back(schema):
    """A tag made before 0.14.5 refused invisible characters in new names ("rack\u200b") is
    taken back by the server; the document's pattern made a checking client refuse to send a
    device's own tags."""
    components = schema["components"]["schemas"]
    for component in ("PatchedDeviceMuteRequest", "DeviceMuteRequest"):
        tags = jsonschema_rs.validator_for(components[component]["properties"]["tags"])
        assert tags.is_valid(["rack\u200b", "lab"]), component
        assert not tags.is_valid(["t" * 51]), component


def test_a_device_edit_says_the_rules_its_schema_cannot(schema):
    """Fuzzing: PATCH/PUT /api/devices/{id} "mostly rejected" what the schema let a client
    send (an unknown key, a date before 1980, a warranty end before the purchase), unsaid."""
    for method in ("patch", "put"):
        said = schema["paths"]["/api/devices/{id}"][method]["description"]
        assert "is a 400 naming it" in said and "none before 1980-01-01" in said, method
        assert "warranty_until and retired_on not before purchased_on" in said, method


def test_choices_taken_in_any_case_are_described_as_the_server_takes_them(schema, api):
    """/api/attention's kind and state, taken in any case (0.14.6), were an enum of their
    lowercase words: a client made from the document refused `state=ALL`; and a
    `minLength: 1` beside the pattern refused `?state=`, which the server takes for its
    default."""
    parameters = schema["paths"]["/api/attention"]["get"]["parameters"]
    for name, words in (
        ("state", ("open", "ALL", "Closed", "", "opened", "all ")),
        ("kind", ("disk_hot", "SMART_Failing", "disk-hot", "")),
    ):
        described = jsonschema_rs.validator_for(
            next(p for p in parameters if p["name"] == name)["schema"]
        )
        for word in words:
            taken = api.get("/api/attention", {name: word}).status_code == 200
            assert described.is_valid(word) == taken, (name, word)
    # the default where a client reads it, not inside a branch of the oneOf
    state = next(p for p in parameters if p["name"] == "state")["schema"]
    assert state["default"] == "open" and "default" not in str(state["oneOf"])
