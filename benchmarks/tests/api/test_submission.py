"""POST /api/benchmark: the contract's ingestion section."""

import json
import uuid

import pytest

from benchmarks.models import Benchmark
from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db

URL = "/api/benchmark"


def stored_counts():
    return Device.objects.count(), HardwareSnapshot.objects.count(), Benchmark.objects.count()


def test_example_submission_creates_device_snapshot_and_scored_benchmark(submit, example):
    response = submit(example)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "ok"
    assert body["global_score"] == 105.65  # computed here; the client's 107.3 is not trusted
    device = Device.objects.get(pk=body["device_id"])
    assert device.hostname == "elitedesk-800g3"
    assert body["device_url"] == f"http://testserver/admin/inventory/device/{device.pk}/change/"
    snapshot = HardwareSnapshot.objects.get(pk=body["snapshot_id"])
    assert (snapshot.cpu_cores, snapshot.cpu_threads, snapshot.ram_total_mb) == (4, 8, 65536)
    assert snapshot.cpu_flags == ["avx", "avx2", "aes"]
    assert len(snapshot.ram_layout) == 4 and snapshot.ram_layout[0]["slot"] == "DIMM_A1"
    assert snapshot.storage["devices"][0]["smart_health"] == "PASSED"
    assert snapshot.network["interfaces"][0]["wake_on_lan"] is True
    assert snapshot.bios_date == "2023-05-10" and snapshot.virtualization_type == "none"
    assert snapshot.raw == example["hardware"]
    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.category_scores == {
        "cpu": 104.4,
        "memory": 98.6,
        "disk": 134.5,
        "network": 94.0,
        "gpu": 68.8,
    }
    assert benchmark.results == example["results"]
    assert benchmark.weights == {
        "cpu": 0.3,
        "memory": 0.2,
        "disk": 0.25,
        "network": 0.15,
        "gpu": 0.1,
    }
    assert str(benchmark.submission_id) == example["submission_id"]
    assert benchmark.snapshot_id == snapshot.pk
    device.refresh_from_db()
    assert (device.global_score, device.cpu_score, device.gpu_score) == (105.65, 104.4, 68.8)
    assert device.last_benchmark_at == benchmark.run_at
    assert device.latest_snapshot_id == snapshot.pk
    assert device.machine_id == "3f2a9c1e8b7d4e6fa1b2c3d4e5f60718"


def test_minimal_submission_needs_only_device_identifier(submit):
    response = submit({"device_identifier": "bare"})

    assert response.status_code == 201
    assert response.json()["global_score"] is None
    assert Benchmark.objects.get().global_score is None
    assert HardwareSnapshot.objects.get().cpu_model == ""


def test_every_optional_section_may_be_null(submit):
    document = {
        "device_identifier": "nulls",
        "bench_script_version": None,
        "submission_id": None,
        "hardware": {
            name: None
            for name in ("system", "cpu", "ram", "gpu", "storage", "network", "motherboard", "os")
        },
        "results": {
            "cpu": None,
            "memory": None,
            "disk": None,
            "network": None,
            "gpu": None,
            "global_score": None,
        },
    }
    response = submit(document)

    assert response.status_code == 201
    assert response.json()["global_score"] is None
    benchmark = Benchmark.objects.get()
    assert benchmark.category_scores == dict.fromkeys(("cpu", "memory", "disk", "network", "gpu"))
    assert benchmark.results == document["results"]
    assert HardwareSnapshot.objects.get().raw == document["hardware"]


def test_skipped_categories_are_null_and_the_global_score_renormalised(submit, example):
    del example["results"]["gpu"]
    example["results"]["network"] = None
    example["submission_id"] = None

    body = submit(example).json()

    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.gpu_score is None and benchmark.network_score is None
    expected = round((104.4 * 0.3 + 98.6 * 0.2 + 134.5 * 0.25) / 0.75, 2)
    assert body["global_score"] == pytest.approx(expected, abs=0.005)


def test_a_category_without_score_counts_as_skipped(submit):
    body = submit(
        {
            "device_identifier": "x",
            "results": {"cpu": {"events_per_sec_single": 900.0}, "memory": {"score": 80}},
        }
    ).json()
    assert body["global_score"] == 80.0


def test_fast_hardware_scores_above_100_are_accepted(submit):
    body = submit(
        {
            "device_identifier": "epyc",
            "results": {"cpu": {"score": 2500.5}, "disk": {"score": 10000}},
        }
    ).json()
    assert body["global_score"] == pytest.approx((2500.5 * 0.3 + 10000 * 0.25) / 0.55, abs=0.005)


def test_retried_submission_id_returns_the_same_ids_and_stores_nothing(submit, example):
    first = submit(example)
    second = submit(example)

    assert (first.status_code, second.status_code) == (201, 200)
    # the same answer, but for what only the first submission did (it made the device)
    assert (first.json()["device_created"], second.json()["device_created"]) == (True, False)
    assert second.json() == {**first.json(), "device_created": False}
    assert stored_counts() == (1, 1, 1)
    # where the run is read (a 201 without a Location named no resource)
    location = f"/api/benchmarks/{first.json()['benchmark_id']}"
    assert first["Location"] == second["Location"] == location


def test_a_new_submission_id_from_the_same_machine_adds_history(submit, example):
    submit(example)
    example["submission_id"] = str(uuid.uuid4())
    example["results"]["cpu"]["score"] = 150.0

    body = submit(example).json()

    assert stored_counts() == (1, 2, 2)
    device = Device.objects.get()
    assert device.cpu_score == 150.0
    assert device.global_score == body["global_score"]


def test_device_identifier_is_matched_case_insensitively(submit):
    first = submit({"device_identifier": "NAS-01"}).json()
    second = submit({"device_identifier": "nas-01"}).json()

    assert first["device_id"] == second["device_id"]
    assert Device.objects.get().hostname == "NAS-01"
    # the same machine, not renamed: a name's case is not a new name
    assert (first["device_created"], second["device_created"]) == (True, False)
    assert second["renamed_from"] is None


def test_the_answer_says_when_the_run_was_filed_under_a_renamed_machine(submit, example):
    first = submit(example).json()
    assert (first["device_created"], first["renamed_from"]) == (True, None)
    example["submission_id"] = str(uuid.uuid4())
    example["device_identifier"] = "workshop-pc"  # reinstalled under a new name, same board

    second = submit(example)

    assert second.status_code == 201
    body = second.json()
    assert body["device_id"] == first["device_id"]
    assert (body["device_created"], body["renamed_from"]) == (False, "elitedesk-800g3")
    assert Device.objects.get().hostname == "workshop-pc"


def test_unknown_keys_are_kept_in_the_stored_documents(submit, example):
    example["future_field"] = {"nested": [1, 2, 3]}
    example["hardware"]["cpu"]["numa_nodes"] = 2
    example["hardware"]["tpm"] = {"version": "2.0"}
    example["results"]["conditions"] = {"load_avg_1m": 0.12, "governor": "performance"}
    example["results"]["disk"]["queue_depth"] = 32

    body = submit(example).json()

    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert benchmark.extra == {"future_field": {"nested": [1, 2, 3]}}
    assert benchmark.results["conditions"]["governor"] == "performance"
    assert benchmark.results["disk"]["queue_depth"] == 32
    snapshot = HardwareSnapshot.objects.get(pk=body["snapshot_id"])
    assert snapshot.raw["cpu"]["numa_nodes"] == 2 and snapshot.raw["tpm"] == {"version": "2.0"}


def test_the_snapshot_is_dated_by_the_run_and_names_the_script_that_took_it(submit, example):
    """A run sent late (a laptop back on the network) is filed at the time it ran: its
    hardware history and its benchmark agree on when, and on which bench.sh took it."""
    example["bench_script_version"] = "1.4.2"
    example["results"]["conditions"] = {"started_at": "2026-03-01T08:30:00Z"}

    body = submit(example).json()

    snapshot = HardwareSnapshot.objects.get(pk=body["snapshot_id"])
    benchmark = Benchmark.objects.get(pk=body["benchmark_id"])
    assert snapshot.captured_at.isoformat() == "2026-03-01T08:30:00+00:00"
    assert snapshot.captured_at == benchmark.run_at
    assert snapshot.bench_script_version == "1.4.2"
    assert Device.objects.get().latest_snapshot_at == snapshot.captured_at


def test_a_dimm_is_stored_with_the_keys_it_was_sent_with(submit, example):
    """A DIMM whose vendor and part number the machine did not tell is stored without them,
    not with empty keys a reader takes for answers."""
    example["hardware"]["ram"]["layout"] = [{"slot": "DIMM_A1", "size_mb": 16384}]

    body = submit(example).json()

    snapshot = HardwareSnapshot.objects.get(pk=body["snapshot_id"])
    assert snapshot.ram_layout == [{"slot": "DIMM_A1", "size_mb": 16384}]


def test_integral_floats_are_accepted_for_counts(submit):
    response = submit(
        {"device_identifier": "jq", "hardware": {"cpu": {"cores": 4.0, "threads": 8.0}}}
    )
    assert response.status_code == 201
    assert HardwareSnapshot.objects.get().cpu_cores == 4


# --- malformed submissions: the right 4xx, the field named, nothing stored ---------------------


def set_path(document, path, value):
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def error_at(body, path):
    node = body
    for key in path:
        if isinstance(node, list):
            node = node[int(key)]
        else:
            assert key in node, f"{key!r} not in {node!r}"
            node = node[key]
    return node


MALFORMED = [
    # (path, bad value)
    (("device_identifier",), None),
    (("device_identifier",), ""),
    (("device_identifier",), "   "),
    (("device_identifier",), 42),
    (("device_identifier",), "x" * 256),
    (("device_identifier",), "evil\nname"),
    (("submission_id",), "not-a-uuid"),
    (("submission_id",), 12345),
    (("bench_script_version",), 1.0),
    (("hardware",), "lots"),
    (("hardware",), [1, 2]),
    (("hardware", "cpu"), "Intel"),
    (("hardware", "cpu", "cores"), "4"),
    (("hardware", "cpu", "cores"), 4.5),
    (("hardware", "cpu", "cores"), -1),
    (("hardware", "cpu", "cores"), True),
    (("hardware", "cpu", "threads"), 10**30),
    (("hardware", "cpu", "base_freq_ghz"), "3.4"),
    (("hardware", "cpu", "base_freq_ghz"), 1e308),
    (("hardware", "cpu", "flags"), "avx avx2"),
    (("hardware", "cpu", "flags"), ["avx", 2]),
    (("hardware", "cpu", "model"), 123),
    (("hardware", "cpu", "model"), "x" * 300),
    (("hardware", "cpu", "model"), "bad\x00nul"),
    (("hardware", "ram", "ecc"), "yes"),
    (("hardware", "ram", "ecc"), 1),
    (("hardware", "ram", "total_mb"), 10**400),
    (("hardware", "ram", "layout"), {"slot": "A1"}),
    (("hardware", "ram", "layout", 1, "size_mb"), "16 GB"),
    (("hardware", "storage", "devices", 0, "temperature_c"), -5),
    (("hardware", "storage", "devices"), "sda"),
    (("hardware", "network", "interfaces", 0, "wake_on_lan"), "g"),
    (("hardware", "network", "interfaces", 0, "speed_mbps"), "1000"),
    (("hardware", "network", "interfaces", 0, "master"), ["bond0"]),
    (("results",), 107.3),
    (("results", "cpu", "score"), "104.4"),
    (("results", "cpu", "score"), 10000.01),
    (("results", "cpu", "score"), -0.1),
    (("results", "cpu", "score"), False),
    (("results", "cpu", "score"), [104.4]),
    (("results", "memory", "score"), {"value": 1}),
    (("results", "disk", "iops_read"), 1e16),
    (("results", "network", "packet_loss_percent"), 101),
    (("results", "network", "retransmits"), 0.5),
    (("results", "global_score"), "107.3"),
]


@pytest.mark.parametrize(("path", "value"), MALFORMED, ids=lambda v: repr(v)[:40])
def test_malformed_field_is_rejected_with_its_path_and_nothing_stored(submit, example, path, value):
    set_path(example, path, value)

    response = submit(example)

    assert response.status_code == 400, response.content
    error = error_at(response.json(), [str(p) for p in path])
    assert error  # a message (or nested messages) at the offending field
    assert stored_counts() == (0, 0, 0)


def test_missing_device_identifier_is_named(submit, example):
    del example["device_identifier"]
    response = submit(example)
    assert response.status_code == 400
    assert response.json()["device_identifier"] == ["This field is required."]


def test_nul_character_in_an_unknown_key_is_rejected_before_storage(submit, example):
    example["results"]["conditions"] = {"note": "a\x00b"}
    response = submit(example)
    assert response.status_code == 400
    assert response.json() == {
        "results": {"conditions": {"note": ["Strings may not contain NUL characters."]}}
    }
    assert stored_counts() == (0, 0, 0)


def test_unpaired_surrogate_is_rejected(api):
    body = '{"device_identifier": "x", "extra": "\\ud800"}'
    response = api.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "extra" in response.json()


def test_deep_nesting_in_unknown_keys_is_rejected(submit):
    deep = current = {}
    for _ in range(40):
        current["d"] = {}
        current = current["d"]
    response = submit({"device_identifier": "x", "deep": deep})
    assert response.status_code == 400
    # named at the level past the 32nd
    assert error_at(response.json(), ["deep", *["d"] * 32]) == ["Nested deeper than 32 levels."]
    assert stored_counts() == (0, 0, 0)


NOT_AN_OBJECT = ("non_field_errors", "A submission is a JSON object.")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("{", ("detail", "JSON parse error - Expecting property name")),
        ("not json", ("detail", "JSON parse error - Expecting value")),
        # deep enough to exhaust the recursion limit
        ("[" * 100_000 + "]" * 100_000, ("detail", "JSON parse error - nesting too deep.")),
        ('"just a string"', NOT_AN_OBJECT),
        ("[]", NOT_AN_OBJECT),
        ("null", NOT_AN_OBJECT),
        ("42", NOT_AN_OBJECT),
        ('{"device_identifier": "x"} trailing', ("detail", "JSON parse error - Extra data")),
        ("\xff\xfe", ("detail", "JSON parse error - Expecting value")),
    ],
    ids=lambda b: repr(b)[:30],
)
def test_unparseable_or_non_object_json_is_a_400(api, body, said):
    """Each says why (NaN and Infinity: test_nan_and_infinity_are_named_by_their_field)."""
    response = api.generic(
        "POST", URL, body.encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    ((key, message),) = response.json().items()
    assert key == said[0]
    assert (message if isinstance(message, str) else message[0]).startswith(said[1])
    assert stored_counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ],
)
def test_non_json_content_type_is_a_415(api, example, content_type):
    response = api.generic("POST", URL, json.dumps(example), content_type=content_type)
    assert response.status_code == 415
    assert "detail" in response.json()
    assert stored_counts() == (0, 0, 0)


def test_body_over_max_submission_kb_is_a_413(api, settings, example):
    settings.MAX_SUBMISSION_KB = 4
    example["padding"] = "x" * 5000
    response = api.post(URL, example, format="json")
    assert response.status_code == 413
    assert "4 KiB" in response.json()["detail"]
    assert stored_counts() == (0, 0, 0)


def test_a_body_at_the_limit_is_accepted(api, settings):
    settings.MAX_SUBMISSION_KB = 2
    document = {"device_identifier": "x", "pad": ""}
    document["pad"] = "y" * (2048 - len(json.dumps(document)))
    body = json.dumps(document)
    assert len(body) == 2048
    assert api.generic("POST", URL, body, content_type="application/json").status_code == 201


# --- authentication -----------------------------------------------------------------------


def test_missing_token_is_a_401_with_www_authenticate(anon, example):
    response = anon.post(URL, example, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stored_counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "header", ["Bearer wrong", "Bearer", "Bearer a b", "Token nope", "Bearer \u00e9t\u00e9"]
)
def test_invalid_token_is_a_401(anon, example, header):
    response = anon.post(
        URL, example, format="json", HTTP_AUTHORIZATION=header.encode().decode("latin-1")
    )
    assert response.status_code == 401
    assert stored_counts() == (0, 0, 0)


def test_token_keyword_works_like_bearer(anon, example):
    from benchsite.testing import TEST_API_TOKEN

    response = anon.post(URL, example, format="json", HTTP_AUTHORIZATION=f"Token {TEST_API_TOKEN}")
    assert response.status_code == 201


def test_submit_scoped_token_may_submit(token_client, submit, example):
    assert submit(example, client=token_client("submit")).status_code == 201
    assert Benchmark.objects.get().submitted_by.startswith("token:")


@pytest.mark.parametrize("scopes", [("read",), ("write",), ()])
def test_token_without_submit_scope_is_a_403(token_client, submit, example, scopes):
    response = submit(example, client=token_client(*scopes))
    assert response.status_code == 403
    assert "submit" in response.json()["detail"]
    assert stored_counts() == (0, 0, 0)


def test_get_on_the_submission_endpoint_is_not_allowed(api):
    assert api.get(URL).status_code == 405


def test_trailing_slash_is_accepted(api, example):
    assert api.post(URL + "/", example, format="json").status_code == 201


# --- the contract's Part 2 additions and the error body -------------------------------------


def test_every_offending_field_is_named_in_one_answer(submit, example):
    example["hardware"]["cpu"]["cores"] = "4"
    example["hardware"]["ram"]["layout"][2]["speed_mhz"] = -1
    example["results"]["disk"]["score"] = "fast"

    response = submit(example)

    assert response.status_code == 400
    body = response.json()
    assert error_at(body, ["hardware", "cpu", "cores"])
    assert error_at(body, ["hardware", "ram", "layout", "2", "speed_mhz"])
    assert error_at(body, ["results", "disk", "score"])
    assert stored_counts() == (0, 0, 0)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_named_by_their_field(api, literal):
    body = '{"device_identifier": "x", "results": {"cpu": {"score": LITERAL}}}'
    body = body.replace("LITERAL", literal)

    response = api.generic("POST", URL, body, content_type="application/json")

    assert response.status_code == 400
    assert error_at(response.json(), ["results", "cpu", "score"]) == [
        "Must be a finite number (NaN and Infinity are not JSON numbers)."
    ]
    assert stored_counts() == (0, 0, 0)


def test_nan_in_an_unknown_key_is_named_too(api):
    body = '{"device_identifier": "x", "results": {"conditions": {"fan_rpm": NaN}}}'
    response = api.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert error_at(response.json(), ["results", "conditions", "fan_rpm"])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cpu_busy_percent", 101),
        ("cpu_busy_percent", "12"),
        ("cpu_steal_percent", -1),
        ("cpu_throttled", "true"),
        ("cpu_throttled", 1),
        ("on_battery", "no"),
        ("short_mode", 0),
        ("load_avg_1m", -0.5),
        ("run_duration_s", "31 s"),
        ("started_at", 1733169300),
        ("cpu_governor", ["performance"]),
    ],
)
def test_a_wrongly_typed_known_condition_is_named(submit, example, key, value):
    example["results"]["conditions"] = {key: value}

    response = submit(example)

    assert response.status_code == 400
    assert error_at(response.json(), ["results", "conditions", key])
    assert stored_counts() == (0, 0, 0)


def test_conditions_samples_and_methods_are_accepted_and_kept_as_sent(submit, example):
    example["results"]["conditions"] = {
        "cpu_busy_percent": 3.5,
        "cpu_throttled": False,
        "started_at": "2026-12-02T20:15:00Z",
        "fan_rpm": [1200, 1180],  # unknown: kept
    }
    example["results"]["cpu"].update(
        samples=[104.1, 104.4, 104.9], cv_pct=0.4, method="sysbench-1.0-cpu-v1"
    )

    response = submit(example)

    assert response.status_code == 201
    stored = Benchmark.objects.get().results
    assert stored["conditions"]["fan_rpm"] == [1200, 1180]
    assert stored["cpu"]["samples"] == [104.1, 104.4, 104.9]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("power_on_hours", 1.5),
        ("reallocated_sectors", -3),
        ("pending_sectors", "0"),
        ("media_errors", True),
        ("percent_used", "5%"),
    ],
)
def test_smart_counters_must_be_whole_numbers(submit, example, key, value):
    example["hardware"]["storage"]["devices"][1][key] = value

    response = submit(example)

    assert response.status_code == 400
    assert error_at(response.json(), ["hardware", "storage", "devices", "1", key])


def test_smart_counters_are_stored_with_the_disk(submit, example):
    disk = example["hardware"]["storage"]["devices"][1]
    disk.update(power_on_hours=41234, reallocated_sectors=8, pending_sectors=0)

    assert submit(example).status_code == 201

    stored = HardwareSnapshot.objects.get().storage["devices"][1]
    assert (stored["power_on_hours"], stored["reallocated_sectors"]) == (41234, 8)


def test_a_section_of_the_wrong_type_is_named_in_the_client_s_words(api):
    body = {
        "device_identifier": "x",
        "hardware": {"cpu": 5, "storage": {"devices": {"name": "/dev/sda"}}},
        "results": {"conditions": "idle"},
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "hardware": {
            "cpu": ["Must be a JSON object."],
            "storage": {"devices": ["Must be a JSON array."]},
        },
        "results": {"conditions": ["Must be a JSON object."]},
    }


def test_a_byte_order_mark_before_the_json_is_ignored(api, example):
    body = b"\xef\xbb\xbf" + json.dumps(example).encode()
    response = api.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 201, response.content


def test_an_integer_too_long_to_read_is_said_plainly(api):
    body = '{"device_identifier": "x", "results": {"cpu": {"score": ' + "9" * 5000 + "}}}"
    response = api.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == ("JSON parse error - an integer of more than 4300 digits.")
    assert stored_counts() == (0, 0, 0)


def test_a_submission_that_is_not_an_object_says_so(api):
    response = api.generic("POST", URL, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A submission is a JSON object."]}


@pytest.mark.parametrize("scopes", [("submit",), ("read", "write")])
def test_options_on_the_submission_endpoint_says_what_it_takes(token_client, scopes):
    """OPTIONS answered 500 to any token that may submit (DRF asked the view for a serializer
    it has none of); the submission's fields are in /api/schema/."""
    response = token_client(*scopes).options("/api/benchmark")
    if "submit" in scopes:
        assert response.status_code == 200
        assert response.json()["parses"] == ["application/json"]
        assert "iperf_server" not in response.json()  # no IPERF_SERVER set
    else:
        assert response.status_code == 403


def test_options_names_the_fleets_iperf3_server_to_who_may_submit(token_client, api, settings):
    """IPERF_SERVER: bench.sh, given no --iperf-server, measures the network against it."""
    settings.IPERF_SERVER = "bench.lan:5201"

    answer = token_client("submit").options("/api/benchmark")

    assert answer.status_code == 200 and answer.json()["iperf_server"] == "bench.lan:5201"
    api.credentials()
    refused = api.options("/api/benchmark")
    assert refused.status_code == 401 and "iperf_server" not in refused.json()


def test_device_url_is_at_site_url_when_it_is_set(submit, example, settings):
    """It was built from the request's Host, which a client chooses (a proxy's, or "x")."""
    settings.SITE_URL = "https://bench.example.lan"
    body = submit(example).json()
    path = f"/admin/inventory/device/{body['device_id']}/change/"
    assert body["device_url"] == f"https://bench.example.lan{path}"
