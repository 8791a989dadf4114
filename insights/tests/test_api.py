"""Insights and attention items through the API: what a submission opens, updates and closes."""

import jsonschema
import pytest

from insights.models import AttentionItem

from .machines import disk

pytestmark = pytest.mark.django_db


def items(api, **params):
    response = api.get("/api/attention", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_failing_disk_opens_one_critical_item_and_its_recovery_closes_it(api, run):
    run(hours_ago=3, disks=[disk(smart_health="PASSED", temperature_c=34)])
    body = run(hours_ago=2, disks=[disk(smart_health="FAILED", temperature_c=58)])
    run(hours_ago=1, disks=[disk(smart_health="FAILED", temperature_c=58)])

    (item,) = items(api)
    assert (item["kind"], item["severity"], item["disk"]) == (
        "smart_failing",
        "critical",
        "WD-WCC7K1234567",
    )
    assert item["message"] == "disk /dev/sda WD40EFRX (WD-WCC7K1234567) reports SMART FAILED"
    assert (item["device"], item["hostname"]) == (body["device_id"], "nas")

    run(hours_ago=0, disks=[disk(smart_health="PASSED", temperature_c=40)])
    assert items(api) == []
    (closed,) = items(api, state="closed")
    assert closed["closed_at"] is not None
    # whatever the case, as the device list's choices
    assert items(api, state="CLOSED", kind="SMART_Failing") == [closed]


def test_disks_that_share_a_serial_are_one_disk_read_as_the_worst_of_them(api, run):
    """A multi-bay USB enclosure reports one serial for every bay (NVMe namespaces share
    their controller's): the PASSED disk listed after the FAILED one hid it, and no item
    opened. Keyed by serial and name instead, a bay not read in one run closed the item and
    the next run opened it again, each notified."""
    failing = disk(name="/dev/sdb", serial="BRIDGE01", smart_health="FAILED")
    sound = disk(name="/dev/sdc", serial="BRIDGE01", smart_health="PASSED")
    body = run(hours_ago=3, disks=[failing, sound])
    run(hours_ago=2, disks=[failing])  # the other bay not read this time
    run(hours_ago=1, disks=[sound, failing])

    (item,) = items(api, state="all")  # one item, open all along
    assert (item["disk"], item["closed_at"]) == ("BRIDGE01", None)
    assert item["message"] == "disk /dev/sdb WD40EFRX (BRIDGE01) reports SMART FAILED"
    (history,) = api.get(f"/api/devices/{body['device_id']}/insights").json()["disks"]
    assert [h["smart_health"] for h in history["history"]] == ["FAILED"] * 3


def test_a_hot_disk_and_rising_counters(api, run):
    run(hours_ago=2, disks=[disk(smart_health="PASSED", temperature_c=45, reallocated_sectors=0)])
    run(hours_ago=1, disks=[disk(smart_health="PASSED", temperature_c=61, reallocated_sectors=8)])

    assert {item["kind"] for item in items(api)} == {"disk_hot", "smart_degrading"}
    degrading = items(api, kind="smart_degrading")[0]
    assert "reallocated sectors 0 → 8" in degrading["message"]

    # cooled down and no new reallocations: disk_hot closes, smart_degrading waits for a person
    run(hours_ago=0, disks=[disk(smart_health="PASSED", temperature_c=40, reallocated_sectors=8)])
    assert [item["kind"] for item in items(api)] == ["smart_degrading"]


def test_acknowledging_closes_an_item_and_needs_the_write_scope(api, run, token_client):
    run(hours_ago=1, disks=[disk(smart_health="PASSED", reallocated_sectors=1)])
    run(hours_ago=0, disks=[disk(smart_health="PASSED", reallocated_sectors=5)])
    (item,) = items(api)

    reader = token_client("read")
    assert reader.post(f"/api/attention/{item['id']}/acknowledge").status_code == 403
    response = api.post(f"/api/attention/{item['id']}/acknowledge")

    assert response.status_code == 200 and response.json()["closed_at"] is not None
    assert items(api) == []
    assert AttentionItem.objects.get().closed_by == "API_TOKEN"
    assert api.post("/api/attention/999999/acknowledge").status_code == 404
    # one item, open or closed, as the list gives it
    detail = api.get(f"/api/attention/{item['id']}")
    assert detail.status_code == 200
    assert detail.json() == response.json()  # the acknowledged item, closed
    assert detail.json()["message"] == item["message"]
    assert api.get("/api/attention/999999").status_code == 404


def test_a_regression_against_the_own_baseline_opens_and_a_recovery_closes(api, run):
    for hours in (5, 4, 3):
        body = run(hours_ago=hours, cpu=100.0)
    run(hours_ago=2, cpu=80.0)

    opened = items(api, kind="score_regression")
    assert sorted(item["category"] for item in opened) == ["cpu", "global"]
    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert insights["baseline"] == {"runs": 3, "scores": {"cpu": 100.0, "global": 100.0}}
    assert insights["deviation_pct"] == {"cpu": -20.0, "global": -20.0}

    run(hours_ago=1, cpu=99.0)
    assert items(api, kind="score_regression") == []


def test_a_network_measured_on_loopback_makes_no_baseline_and_no_peer_median(api, run):
    for hours in (5, 4, 3):  # first tried against the machine itself: ~2000
        run(hours_ago=hours, network=(2165.0, "127.0.0.1"))
    body = run(hours_ago=2, network=(95.0, "10.0.0.5"))  # then against the LAN's iperf3 server
    run("other", network=(2000.0, "localhost"))
    run("third", network=(90.0, "10.0.0.5"))

    assert items(api, kind="score_regression") == []  # 95 is not "96 % below its baseline"
    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert "network" not in insights["baseline"]["scores"]
    by_cpu = next(p for p in insights["peers"] if p["by"] == "cpu_model")
    assert by_cpu["devices"] == 2 and by_cpu["median"]["network"] == 90.0


def test_a_global_score_without_its_network_is_compared_with_globals_measured_so(api, run):
    """A 10 GbE server's fifth run, the same in every figure but its network measured on
    loopback (left out of its global score), opened a score_regression "53.7 % below its own
    baseline" with every category level; its global was compared with the four before it,
    which counted the network (review of stop 54)."""
    for hours in (9, 8, 7, 6):
        run("srv", hours_ago=hours, network=(940.0, "10.0.0.5"))
    body = run("srv", hours_ago=5, network=(940.0, "localhost"))

    assert items(api, kind="score_regression") == []
    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert insights["baseline"]["scores"] == {"cpu": 100.0}  # no global measured so before
    assert insights["deviation_pct"] == {"cpu": 0.0}

    # its peers: a twin measured across the LAN is no peer of a global without the network,
    # and the machine ranked by that global is not among the twin's
    run("twin", hours_ago=4, network=(940.0, "10.0.0.5"))
    run("twin-2", hours_ago=3, network=(470.0, "10.0.0.5"))
    srv = api.get(f"/api/devices/{body['device_id']}/insights").json()
    (by_cpu,) = (p for p in srv["peers"] if p["by"] == "cpu_model")
    assert by_cpu["median_devices"] == 0 and "global" not in by_cpu["median"]
    twin = api.get(f"/api/devices/{run('twin', network=(940.0, '10.0.0.5'))['device_id']}/insights")
    (by_cpu,) = (p for p in twin.json()["peers"] if p["by"] == "cpu_model")
    assert by_cpu["devices"] == 2 and by_cpu["median_devices"] == 1  # twin-2's alone


def test_one_item_per_condition_while_it_stays_open(api, run):
    for hours in (3, 2, 1, 0):
        run(hours_ago=hours, disks=[disk(smart_health="FAILED")])
    assert AttentionItem.objects.count() == 1


def test_an_open_item_says_when_its_condition_was_last_seen(api, run):
    run(hours_ago=2, disks=[disk(smart_health="FAILED")])
    (first,) = items(api)
    run(hours_ago=1, disks=[disk(smart_health="FAILED")])  # still failing, same message
    (again,) = items(api)
    assert again["id"] == first["id"] and again["message"] == first["message"]
    assert again["opened_at"] == first["opened_at"]
    assert again["updated_at"] > first["updated_at"]


def test_insights_name_peers_with_the_same_cpu(api, run):
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=120.0, cpu_model=model)
    body = run("desk-3", cpu=76.0, cpu_model=model.upper().replace(" ", "  "))

    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()

    by_cpu = next(p for p in insights["peers"] if p["by"] == "cpu_model")
    assert (by_cpu["devices"], by_cpu["median"]["global"]) == (2, 110.0)
    assert by_cpu["deviation_pct"]["global"] == -30.9
    (item,) = items(api, kind="below_peers")
    assert item["hostname"] == "desk-3"
    assert "30.9 % below 2 other machines with the same CPU" in item["message"]


def test_peers_measured_another_way_are_counted_but_make_no_median(api, run):
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=120.0, cpu_model=model)
    run("desk-3", cpu=110.0, cpu_model=model, cpu_method="sysbench-1.0-cpu-v0")  # older bench.sh
    body = run("desk-4", cpu=76.0, cpu_model=model)

    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()

    by_cpu = next(p for p in insights["peers"] if p["by"] == "cpu_model")
    assert (by_cpu["devices"], by_cpu["median_devices"]) == (3, 2)
    assert by_cpu["median"]["global"] == 110.0  # desk-1 and desk-2: desk-3's 110 is not in it
    (item,) = items(api, kind="below_peers")
    # the message counts the machines its median is drawn from
    assert "30.9 % below 2 other machines with the same CPU" in item["message"]


def test_below_peers_needs_two_peers_measured_alike(api, run):
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=120.0, cpu_model=model, cpu_method="sysbench-1.0-cpu-v0")
    run("desk-3", cpu=50.0, cpu_model=model)
    assert items(api, kind="below_peers") == []  # one machine is no peers' median


def test_a_machine_with_no_valid_run_is_not_judged_against_its_peers(api, run):
    """below_peers judges "the latest valid global score": a new machine whose only run was
    measured busy (suspect) opened an item "70 % below 2 other machines", and notified it."""
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=100.0, cpu_model=model)
    body = run("desk-3", cpu=30.0, cpu_model=model, busy=80)

    assert items(api, kind="below_peers") == []
    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert insights["latest"]["benchmark_id"] == body["benchmark_id"]  # shown, as it ranks it


def test_the_latest_valid_run_and_its_baseline_are_found_behind_many_suspect_runs(api, run):
    """Only the newest 60 runs were read: after 60 suspect runs (a machine busy for weeks)
    the insights showed a suspect run as latest with no baseline, and a valid run after them
    found no baseline, so its regression went unreported."""
    for hours in range(70, 65, -1):
        run(hours_ago=hours, cpu=100.0)
    for hours in range(65, 4, -1):
        run(hours_ago=hours, cpu=20.0, busy=95)
    body = run(hours_ago=1, cpu=50.0)

    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert insights["latest"]["benchmark_id"] == body["benchmark_id"]
    assert insights["baseline"]["scores"]["cpu"] == 100.0
    (item,) = [i for i in items(api, kind="score_regression") if i["category"] == "cpu"]
    assert "50 % below its own baseline (100 → 50)" in item["message"]


@pytest.mark.parametrize("conditions", [{}, {"cpu_busy_percent": 80}], ids=["valid", "suspect"])
def test_insights_and_the_ranking_name_the_same_run_after_an_inventory_only_run(
    api, submit, conditions
):
    """A run without any score (every category skipped, a valid run) ranks no one while a run
    has a score: /api/devices showed the older run's figures, the insights the empty run,
    every score null; the same after a suspect run with scores (measured busy), which ranks
    the machine while it has no valid one with scores."""
    results = {"cpu": {"score": 123}, "conditions": conditions}
    ranked = submit({"device_identifier": "inv", "results": results}).json()
    submit({"device_identifier": "inv", "results": {"cpu": None}})

    device = api.get(f"/api/devices/{ranked['device_id']}").json()
    insights = api.get(f"/api/devices/{ranked['device_id']}/insights").json()

    assert device["global_score"] == 123.0
    assert insights["latest"]["benchmark_id"] == ranked["benchmark_id"]
    assert insights["latest"]["scores"]["global"] == 123.0
    assert insights["baseline"] is None


def test_a_machine_counts_among_the_peers_of_its_latest_cpu_only(api, run):
    old, new = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", "AMD Ryzen 5 3600 6-Core Processor"
    for host in ("desk-1", "desk-2", "desk-3", "desk-4"):
        run(host, hours_ago=2, cpu_model=old)
    run("desk-2", hours_ago=1, cpu_model=new)  # its CPU was replaced
    run("desk-2", hours_ago=5, cpu_model=old)  # an older capture replayed: not its latest

    def peers(host):
        device = api.get("/api/devices", {"search": host}).json()["results"][0]
        body = api.get(f"/api/devices/{device['id']}/insights").json()
        return next((p["devices"] for p in body["peers"] if p["by"] == "cpu_model"), 0)

    assert peers("desk-1") == 2  # desk-3 and desk-4; desk-2 has left
    assert peers("desk-2") == 0  # nobody else has its new CPU


def test_insights_give_each_disk_its_smart_history_oldest_first(api, run):
    run(hours_ago=2, disks=[disk(smart_health="PASSED", temperature_c=34, power_on_hours=100)])
    body = run(hours_ago=1, disks=[disk(smart_health="FAILED", temperature_c=58)])

    (history,) = api.get(f"/api/devices/{body['device_id']}/insights").json()["disks"]

    assert (history["serial"], history["model"]) == ("WD-WCC7K1234567", "WD40EFRX")
    assert [h["smart_health"] for h in history["history"]] == ["PASSED", "FAILED"]
    assert history["history"][0]["power_on_hours"] == 100
    assert history["history"][1]["snapshot_id"] == body["snapshot_id"]


def test_insights_give_a_disks_whole_history_in_a_constant_number_of_queries(
    api, django_assert_max_num_queries
):
    """The contract's history is every snapshot's (a disk's first readings are what a slow
    decline is told against); the device page shows the newest 50, and says so."""
    from datetime import timedelta

    from django.utils import timezone

    from inventory.tests.factories import DeviceFactory, SnapshotFactory

    device = DeviceFactory()
    start = timezone.now() - timedelta(days=120)
    for day in range(120):
        SnapshotFactory(
            device=device,
            captured_at=start + timedelta(days=day),
            disk_readings=[{"name": "/dev/sda", "serial": "S1", "power_on_hours": 24 * day}],
        )

    with django_assert_max_num_queries(5):
        (history,) = api.get(f"/api/devices/{device.pk}/insights").json()["disks"]

    assert len(history["history"]) == 120
    assert [h["power_on_hours"] for h in history["history"][:2]] == [0, 24]


def test_insights_of_a_device_never_benchmarked_and_of_no_device(api):
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory()
    body = api.get(f"/api/devices/{device.pk}/insights").json()
    assert body == {
        "latest": None,
        "baseline": None,
        "deviation_pct": {},
        "peers": [],
        "disks": [],
        "attention": [],
    }
    assert api.get("/api/devices/999999/insights").status_code == 404


@pytest.mark.parametrize("params", [{"state": "maybe"}, {"kind": "bogus"}, {"device": "x"}])
def test_bad_attention_filters_are_a_400_naming_them(api, params):
    response = api.get("/api/attention", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.mark.parametrize("fleet", [2, 12])
def test_insights_and_attention_query_counts_do_not_grow_with_the_fleet(
    api, run, django_assert_num_queries, fleet
):
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    for n in range(fleet):
        run(f"peer-{n}", cpu=100.0 + n, cpu_model=model, disks=[disk(smart_health="FAILED")])
    body = run("me", cpu=50.0, cpu_model=model, disks=[disk(smart_health="FAILED")])

    # the device, its runs, its snapshots, its open items, its peers by CPU (these machines
    # report no system model: no second peer group is looked up)
    with django_assert_num_queries(5):
        response = api.get(f"/api/devices/{body['device_id']}/insights")
    assert response.json()["peers"][0]["devices"] == fleet
    with django_assert_num_queries(2):  # count, page (with each item's device)
        response = api.get("/api/attention", {"page_size": 100})
    assert response.json()["count"] == fleet + 2  # a failing disk each, and "me" below its peers


def test_a_cpu_model_longer_once_lower_cased_is_stored_and_still_finds_its_peers(api, run):
    model = "İ" * 255  # within the field's 255 characters; 510 once lower-cased
    for host in ("a", "b", "c"):
        body = run(host, cpu_model=model)
    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert [(p["by"], p["devices"]) for p in insights["peers"]] == [("cpu_model", 2)]


def test_the_openapi_document_describes_the_insights_answer(api, run):
    """The document said "an object" of the insights: a generated client got a dict of
    anything. Each part is described now, and a real answer holds to it: latest, baseline,
    peers, disks with their SMART history, the open items."""
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=120.0, cpu_model=model)
    for hours_ago, cpu in ((4, 130.0), (3, 131.0), (2, 129.0)):
        run("desk-3", hours_ago, cpu=cpu, cpu_model=model)
    body = run("desk-3", cpu=76.0, cpu_model=model, disks=[disk(smart_health="FAILED")])
    answer = api.get(f"/api/devices/{body['device_id']}/insights").json()
    assert answer["baseline"] and answer["peers"] and answer["disks"] and answer["attention"]

    document = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = document["paths"]["/api/devices/{device_pk}/insights"]["get"]
    described = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert described == {"$ref": "#/components/schemas/Insights"}
    schema = {**described, "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(answer)
    insights = document["components"]["schemas"]["Insights"]
    assert set(insights["properties"]) == set(answer)
    assert set(document["components"]["schemas"]["SmartReading"]["properties"]) == set(
        answer["disks"][0]["history"][0]
    )


def _weekly_disk(weeks: int):
    """A device with `weeks` weekly snapshots of one disk, its power-on hours counting weeks."""
    from datetime import timedelta

    from django.utils import timezone

    from inventory.models import HardwareSnapshot
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory()
    start = timezone.now() - timedelta(weeks=weeks)
    HardwareSnapshot.objects.bulk_create(
        HardwareSnapshot(
            device=device,
            captured_at=start + timedelta(weeks=week),
            disk_readings=[{"name": "/dev/sda", "serial": "S1", "power_on_hours": week}],
        )
        for week in range(weeks)
    )
    return device


def test_insights_give_the_smart_history_of_the_newest_200_snapshots_by_default(
    api, django_assert_max_num_queries
):
    """Every snapshot's history grew the answer by half a kilobyte a week, forever (244 KB at
    ten weekly years): by default it is the newest SMART_POINTS snapshots', oldest first."""
    device = _weekly_disk(230)

    with django_assert_max_num_queries(5):
        (history,) = api.get(f"/api/devices/{device.pk}/insights").json()["disks"]

    assert [h["power_on_hours"] for h in history["history"]] == list(range(30, 230))


def test_insights_take_smart_points_for_a_shorter_or_longer_history(
    api, django_assert_max_num_queries
):
    device = _weekly_disk(230)
    path = f"/api/devices/{device.pk}/insights"

    with django_assert_max_num_queries(5):
        (history,) = api.get(path, {"smart_points": 3}).json()["disks"]
    assert [h["power_on_hours"] for h in history["history"]] == [227, 228, 229]
    with django_assert_max_num_queries(5):
        (history,) = api.get(path, {"smart_points": 5000}).json()["disks"]
    assert len(history["history"]) == 230  # the whole history, as the contract gives it


@pytest.mark.parametrize(
    "query",
    ["smart_points=0", "smart_points=abc", "smart_points=5001", "smart_points=1&smart_points=2"],
)
def test_a_bad_smart_points_is_a_400_naming_it(api, query):
    from inventory.tests.factories import DeviceFactory

    response = api.get(f"/api/devices/{DeviceFactory().pk}/insights?{query}")

    assert response.status_code == 400
    assert list(response.json()) == ["smart_points"]


def test_the_openapi_document_describes_smart_points(api):
    document = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = document["paths"]["/api/devices/{device_pk}/insights"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["in"] == "query"]

    assert parameter["name"] == "smart_points"
    assert parameter["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5000,
        "default": 200,
    }
    assert "newest N snapshots" in parameter["description"]


def test_a_blank_filter_is_a_filter_not_given(api, run):
    """`?state=&kind=` (a script's empty variable) lists the open items of every kind, as no
    filter does: it was the closed items, or none."""
    run(hours_ago=2, disks=[disk(smart_health="FAILED")])
    run(hours_ago=1, disks=[disk(smart_health="PASSED", temperature_c=70)])  # failing closes

    def kinds(query):
        response = api.get(f"/api/attention{query}")
        assert response.status_code == 200, response.content
        return [item["kind"] for item in response.json()["results"]]

    assert kinds("") == ["disk_hot"]
    assert kinds("?state=") == kinds("?kind=") == kinds("?state=&kind=") == ["disk_hot"]


def test_a_categorys_peer_median_of_other_machines_than_the_globals_says_how_many(api, run):
    """The device page said "41.5 % below 4 other machines with the same system model (median
    99.3)", then "Its CPU score is 46.6 % below theirs (107.5)", a median of 5 machines: one
    twin measured its network too, so it has no global median of theirs, yet a CPU figure
    (the admin UX review of stop 61)."""
    from insights.insight import device_insights, insight_sentences
    from inventory.models import Device

    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", hours_ago=3, cpu=100.0, cpu_model=model)
    run("desk-2", hours_ago=2, cpu=120.0, cpu_model=model)
    run("desk-3", hours_ago=1, cpu=110.0, cpu_model=model, network=(90.0, "10.0.0.5"))
    body = run("desk-4", cpu=40.0, cpu_model=model)

    insights = api.get(f"/api/devices/{body['device_id']}/insights").json()
    (by_cpu,) = (p for p in insights["peers"] if p["by"] == "cpu_model")
    assert (by_cpu["devices"], by_cpu["median_devices"]) == (3, 2)
    assert by_cpu["median_devices_by_category"] == {"cpu": 3}
    assert by_cpu["median"] == {"cpu": 110.0, "global": 110.0}

    said = insight_sentences(device_insights(Device.objects.get(hostname="desk-4"), exact=True))
    assert said[-2:] == [
        f"Its global score is 63.6 % below 2 other machines with the same CPU ({model}: "
        "median 110).",
        "Its CPU score is 63.6 % below 3 other machines with the same CPU (median 110).",
    ]
