"""Machines side by side: GET /api/compare and the admin's Compare selected."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from inventory.models import Device, HardwareSnapshot
from inventory.tests.factories import DeviceFactory, SnapshotFactory

# the best of a row: a star, and a word for a screen reader ("black star 127.2", it said)
BEST = '<span aria-hidden="true">★</span><span class="visually-hidden">best:</span> '

pytestmark = pytest.mark.django_db


def machine(hostname, *, cpu="AMD Ryzen 5 5600G", ram=32768, score=100.0, disks=("WD Blue",)):
    device = DeviceFactory(hostname=hostname)
    snapshot = SnapshotFactory(
        device=device,
        cpu_model=cpu,
        ram_total_mb=ram,
        gpu_model="",
        os_version="12 (bookworm)",
        storage={"devices": [{"name": f"/dev/sd{i}", "model": m} for i, m in enumerate(disks)]},
    )
    Device.objects.filter(pk=device.pk).update(
        latest_snapshot=snapshot,
        global_score=score,
        cpu_score=score * 1.1,
        last_benchmark_at=timezone.now(),
        latest_validity="valid",
    )
    return device


def test_compare_gives_each_device_in_the_order_asked_with_the_differences(api):
    a = machine("a", score=120.0)
    b = machine("b", cpu="Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", score=90.0)
    c = machine("c", ram=65536, disks=("WD Blue", "Samsung 970 EVO Plus"), score=100.0)

    response = api.get(f"/api/compare?devices={c.pk},{a.pk},{b.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [d["hostname"] for d in body["devices"]] == ["c", "a", "b"]
    first = body["devices"][0]
    assert first["id"] == c.pk
    assert first["scores"]["global"] == 100.0 and first["scores"]["cpu"] == pytest.approx(110.0)
    assert set(first["scores"]) == {"global", "cpu", "memory", "disk", "network", "gpu"}
    assert first["hardware"] == {
        "cpu_model": "AMD Ryzen 5 5600G",
        "cores": 6,
        "threads": 12,
        "ram_total_mb": 65536,
        "gpu_model": None,
        "disks": ["WD Blue", "Samsung 970 EVO Plus"],
        "disk_sizes": [None, None],  # an extension: none known here
        "os": "Debian GNU/Linux 12 (bookworm)",
        "bios_version": None,
        "kernel_version": None,
    }
    assert body["differences"] == ["hardware.cpu_model", "hardware.ram_total_mb", "hardware.disks"]


def test_disks_of_one_model_and_another_capacity_differ_and_a_retired_machine_is_said(
    api, admin_client
):
    """A 500 GB and a 2 TB disk of one model compared alike (the export told them apart); a
    retired machine's figures were starred as the best, nothing saying it is retired; two
    machines without a snapshot read "no differences", as twins."""
    small, big = machine("small"), machine("big")
    for device, capacity in ((small, 500.1), (big, 2000.4)):
        snapshot = HardwareSnapshot.objects.get(device=device)
        snapshot.storage = {
            "devices": [{"name": "/dev/sda", "model": "WD Blue", "capacity_gb": capacity}]
        }
        snapshot.save(update_fields=["storage"])
    Device.objects.filter(pk=big.pk).update(retired_on=datetime.date(2026, 11, 1))
    bare, blank = DeviceFactory(hostname="bare"), DeviceFactory(hostname="blank")

    body = api.get(f"/api/compare?devices={small.pk},{big.pk}").json()
    unknown = api.get(f"/api/compare?devices={bare.pk},{blank.pk}").json()
    page = admin_client.get(
        "/admin/inventory/device/compare/", {"devices": f"{small.pk},{big.pk},{bare.pk}"}
    ).content.decode()

    assert body["differences"] == ["hardware.disks"]
    assert [d["hardware"]["disk_sizes"] for d in body["devices"]] == [["500 GB"], ["2 TB"]]
    assert [d["retired_on"] for d in body["devices"]] == [None, "2026-11-01"]
    assert [d["has_snapshot"] for d in unknown["devices"]] == [False, False]
    assert "WD Blue (500 GB)" in page and "WD Blue (2 TB)" in page
    assert page.count(">retired</span>") == 1
    assert page.count("no snapshot yet: its hardware is not known") == 1


def test_twins_whose_memtotal_differs_by_a_few_mb_have_the_same_ram(api, admin_client):
    """bench.sh sends MemTotal, a few MB apart between real twins (firmware reservations): the
    page said "64 GB ≠ 64 GB" and the API listed hardware.ram_total_mb among the differences."""
    a, b, c = machine("a", ram=65536), machine("b", ram=65493), machine("c", ram=31990)
    body = api.get(f"/api/compare?devices={a.pk},{b.pk}").json()
    assert body["differences"] == []
    assert [d["hardware"]["ram_total_mb"] for d in body["devices"]] == [65536, 65493]
    body = api.get(f"/api/compare?devices={a.pk},{c.pk}").json()
    assert body["differences"] == ["hardware.ram_total_mb"]  # 64 GB against 31 GB

    url = f"/admin/inventory/device/compare/?devices={a.pk},{b.pk}"
    html = admin_client.get(url).content.decode()
    ram = html.split('data-row="ram_total_mb"', 1)[1].split("</tr>", 1)[0]
    assert "bt-differs" not in ram and ram.count("64 GB") == 2


def test_twins_are_told_apart_by_their_bios_and_kernel(api, admin_client):
    """A slow twin compared with its twin: the same CPU, RAM, GPU, disks and OS, and nothing
    said of the BIOS or the kernel, which is what tells them apart."""
    fast, slow = machine("fast", score=120.0), machine("slow", score=70.0)
    HardwareSnapshot.objects.filter(device=fast).update(
        bios_version="P07 Ver. 02.48", kernel_version="6.1.0-28-amd64"
    )
    HardwareSnapshot.objects.filter(device=slow).update(
        bios_version="P07 Ver. 02.44", kernel_version="6.1.0-28-amd64"
    )

    body = api.get(f"/api/compare?devices={fast.pk},{slow.pk}").json()

    assert body["differences"] == ["hardware.bios_version"]
    assert [d["hardware"]["bios_version"] for d in body["devices"]] == [
        "P07 Ver. 02.48",
        "P07 Ver. 02.44",
    ]
    assert body["devices"][1]["hardware"]["kernel_version"] == "6.1.0-28-amd64"
    html = admin_client.get(f"/admin/inventory/device/compare/?devices={fast.pk},{slow.pk}")
    page = html.content.decode()
    bios = page.split('data-row="bios_version"', 1)[1].split("</tr>", 1)[0]
    assert "<td>P07 Ver. 02.48</td>" in bios and 'class="bt-differs"' in bios
    kernel = page.split('data-row="kernel_version"', 1)[1].split("</tr>", 1)[0]
    assert kernel.count("<td>6.1.0-28-amd64</td>") == 2


def test_the_same_parts_written_otherwise_are_no_difference(api, admin_client):
    """Two machines with one CPU model (other case, a double space, as peers match them) and
    the same disks in another order were listed as differing in both, and the admin page
    marked a CPU cell that read the same as the other."""
    a = machine("a", cpu="Intel(R) Core(TM) i7-6700 CPU", disks=("WD Blue", "Samsung 870"))
    b = machine("b", cpu="intel(r) core(tm)  i7-6700 CPU", disks=("Samsung 870", "WD Blue"))

    body = api.get(f"/api/compare?devices={a.pk},{b.pk}").json()

    assert body["differences"] == []
    assert body["devices"][1]["hardware"]["cpu_model"] == "intel(r) core(tm)  i7-6700 CPU"
    html = admin_client.get(f"/admin/inventory/device/compare/?devices={a.pk},{b.pk}")
    assert 'class="bt-differs"' not in html.content.decode()


def test_machines_that_differ_in_threads_only_differ_in_threads(api, admin_client):
    """Four cores with SMT against four without: `hardware.cores` was listed as a difference
    too (the page's "cores / threads" row compared both), though both have four."""
    smt, nosmt = machine("smt"), machine("nosmt")
    HardwareSnapshot.objects.filter(device=smt).update(cpu_cores=4, cpu_threads=8)
    HardwareSnapshot.objects.filter(device=nosmt).update(cpu_cores=4, cpu_threads=4)

    body = api.get(f"/api/compare?devices={smt.pk},{nosmt.pk}").json()

    assert body["differences"] == ["hardware.threads"]
    html = admin_client.get(f"/admin/inventory/device/compare/?devices={smt.pk},{nosmt.pk}")
    row = html.content.decode().split('data-row="cores"', 1)[1].split("</tr>", 1)[0]
    said = '<span class="visually-hidden"> (differs from the others)</span>'
    mark = '<span class="bt-differs-mark" aria-hidden="true">≠</span> '
    assert f'<td>4 / 8</td><td class="bt-differs">{mark}4 / 4{said}</td>' in row


def test_disks_are_compared_by_model_and_a_disk_without_one_is_left_out(api):
    """A VM's virtual disks have no model: they were listed by device name (/dev/vda against
    /dev/sda), which the contract's list of models is not, and made a difference."""
    a = machine("a", disks=(None,))
    b = machine("b", disks=(None,))
    HardwareSnapshot.objects.filter(device=b).update(
        storage={"devices": [{"name": "/dev/vda", "model": None}]}
    )

    body = api.get(f"/api/compare?devices={a.pk},{b.pk}").json()

    assert [d["hardware"]["disks"] for d in body["devices"]] == [[], []]
    assert body["differences"] == []


def test_a_device_never_benchmarked_compares_with_empty_hardware(api):
    a = machine("a")
    bare = DeviceFactory(hostname="bare")
    body = api.get(f"/api/compare?devices={a.pk},{bare.pk}").json()
    assert body["devices"][1]["hardware"]["cpu_model"] is None
    assert body["devices"][1]["hardware"]["disks"] == []
    assert body["devices"][1]["scores"]["global"] is None
    assert "hardware.cpu_model" in body["differences"]


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        (None, "Give 2 to 10 device ids"),
        ("1", "Give 2 to 10 device ids"),
        (",".join(str(i) for i in range(1, 12)), "Give 2 to 10 device ids"),
        ("1,x", "'x' is not a device id."),
        ("1,-2", "'-2' is not a device id."),
        ("1,99999999999999999999", "is not a device id."),
        # cut, and said so: it quoted 20 digits of the 23 sent as if they had been sent
        ("1,99999999999999999999999", "'99999999999999999999…' is not a device id."),
        ("1,1", "Device 1 is given twice."),
        ("1,\uff12", "'\uff12' is not a device id."),  # a fullwidth 2: a digit, not an id
    ],
)
def test_bad_devices_is_a_400_naming_it(api, devices, message):
    url = "/api/compare" if devices is None else f"/api/compare?devices={devices}"
    response = api.get(url)
    assert response.status_code == 400
    assert list(response.json()) == ["devices"]
    assert message in response.json()["devices"][0]


def test_devices_given_twice_is_a_400_naming_it(api):
    """`?devices=1,2&devices=3,4` answered devices 3 and 4, the first list dropped unsaid."""
    a, b = machine("a"), machine("b")
    response = api.get(f"/api/compare?devices={a.pk},{b.pk}&devices={b.pk},{a.pk}")
    assert response.status_code == 400
    assert response.json() == {"devices": ["Give devices once: devices=1,2,3."]}


def test_an_unknown_device_is_a_404(api):
    a = machine("a")
    response = api.get(f"/api/compare?devices={a.pk},{a.pk + 1000}")
    assert response.status_code == 404


def test_compare_needs_the_read_scope(anon, token_client):
    a, b = machine("a"), machine("b")
    assert anon.get(f"/api/compare?devices={a.pk},{b.pk}").status_code == 401
    assert token_client("submit").get(f"/api/compare?devices={a.pk},{b.pk}").status_code == 403
    assert token_client("read").get(f"/api/compare?devices={a.pk},{b.pk}").status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_compare_query_count_does_not_grow_with_the_devices(api, count, django_assert_num_queries):
    ids = ",".join(str(machine(f"m{i}").pk) for i in range(count))
    with django_assert_num_queries(1):  # the fleet token is checked without the database
        body = api.get(f"/api/compare?devices={ids}").json()
    assert [device["hostname"] for device in body["devices"]] == [f"m{i}" for i in range(count)]


@pytest.mark.parametrize("count", [2, 10])
def test_admin_compare_page_query_count_does_not_grow_with_the_devices(
    admin_client, count, django_assert_num_queries
):
    ids = ",".join(str(machine(f"m{i}").pk) for i in range(count))
    admin_client.get("/admin/")  # the session is warm
    # session, user, the devices with their snapshots
    with django_assert_num_queries(3):
        response = admin_client.get(f"/admin/inventory/device/compare/?devices={ids}")
    shown = re.findall(r'data-device="\d+"><a [^>]*>([^<]*)</a>', response.content.decode())
    assert shown == [f"m{i}" for i in range(count)]


def test_admin_compare_page_marks_the_best_and_the_differences(admin_client):
    a = machine("fast", score=150.0)
    b = machine("slow", score=80.0, cpu="Intel Celeron N5105")
    html = admin_client.get(f"/admin/inventory/device/compare/?devices={b.pk},{a.pk}").content
    html = html.decode()
    row = html.split('data-row="global"', 1)[1].split("</tr>", 1)[0]
    # each global score of the CPU alone says so (partial_global)
    assert '<td class="bt-num bt-global">80.0<abbr class="bt-partial"' in row
    assert f'<td class="bt-num bt-best bt-global">{BEST}150.0<abbr class="bt-partial"' in row
    cpu = html.split('data-row="cpu_model"', 1)[1].split("</tr>", 1)[0]
    # the first machine is the reference; a model is shortened, whole in its tooltip
    assert '<td><span title="Intel Celeron N5105">Intel Celeron N5105</span></td>' in cpu
    mark = '<span class="bt-differs-mark" aria-hidden="true">≠</span>'
    assert f'<td class="bt-differs">{mark} <span title="AMD Ryzen 5 5600G">' in cpu
    ram = html.split('data-row="ram_total_mb"', 1)[1].split("</tr>", 1)[0]
    assert "bt-differs" not in ram and ram.count("32 GB") == 2


def test_the_machine_that_differs_from_the_rest_is_the_one_marked(admin_client):
    """Three twins and a machine of another CPU listed first (the best-ranked, in the list's
    order): the three twins' cells were marked as differing, the odd one out was not (the
    admin UX review of stop 61)."""
    other = machine("pve-01", score=190.0, cpu="Intel Xeon E-2236")
    twins = [machine(f"desk-{i}", score=100.0 - i) for i in range(3)]
    ids = ",".join(str(d.pk) for d in (other, *twins))

    html = admin_client.get(f"/admin/inventory/device/compare/?devices={ids}").content.decode()

    cpu = html.split('data-row="cpu_model"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td( class=\"bt-differs\")?>", cpu)
    assert cells == [' class="bt-differs"', "", "", ""]
    # two against two: the first machine's value is the reference
    pair = ",".join(str(d.pk) for d in (other, twins[0]))
    html = admin_client.get(f"/admin/inventory/device/compare/?devices={pair}").content.decode()
    cpu = html.split('data-row="cpu_model"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td( class=\"bt-differs\")?>", cpu) == ["", ' class="bt-differs"']


def test_a_loopback_network_is_shown_as_such_and_never_the_best(api, admin_client):
    """pve-node1's network measured against itself (900, many times a real one, left out of
    its global score) got the compare page's star as the best network of the fleet."""
    lan, slower, looped = machine("lan"), machine("slower"), machine("pve-node1")
    Device.objects.filter(pk=lan.pk).update(network_score=95.0)
    Device.objects.filter(pk=slower.pk).update(network_score=80.0)
    Device.objects.filter(pk=looped.pk).update(network_score=900.0, ranking_excluded=["network"])
    ids = f"{lan.pk},{slower.pk},{looped.pk}"

    html = admin_client.get(f"/admin/inventory/device/compare/?devices={ids}")
    row = html.content.decode().split('data-row="network"', 1)[1].split("</tr>", 1)[0]
    assert f"{BEST}95.0" in row
    assert f"{BEST}900.0" not in row
    assert '900.0 <span class="bt-suspect-note">(loopback)</span>' in row
    body = api.get(f"/api/compare?devices={ids}").json()
    assert [d["ranking_excluded_categories"] for d in body["devices"]] == [[], [], ["network"]]


def test_a_suspect_runs_figures_say_so_and_are_never_the_best(api, admin_client, submit):
    """vm's figures came from a run measured busy, and its latest run was inventory only
    (valid, no scores): the compare page said "validity: valid" and starred its 150 as the
    fleet's best."""
    busy = {"cpu": {"score": 150.0}, "conditions": {"cpu_busy_percent": 80}}
    ranked = submit({"device_identifier": "vm", "results": busy}).json()
    submit({"device_identifier": "vm", "results": {"cpu": None}})
    submit({"device_identifier": "fast", "results": {"cpu": {"score": 100.0}}})
    submit({"device_identifier": "slow", "results": {"cpu": {"score": 80.0}}})
    ids = ",".join(str(Device.objects.get(hostname=name).pk) for name in ("vm", "fast", "slow"))

    body = api.get(f"/api/compare?devices={ids}").json()
    vm, fast, _ = body["devices"]
    assert (vm["ranking_validity"], vm["ranking_validity_reasons"]) == ("suspect", ["busy"])
    assert (
        vm["ranking_run_at"]
        == api.get(f"/api/benchmarks/{ranked['benchmark_id']}").json()["run_at"]
    )
    assert vm["latest_validity"] == "valid"  # the inventory-only run
    assert (fast["ranking_validity"], fast["ranking_validity_reasons"]) == ("valid", [])

    html = admin_client.get(f"/admin/inventory/device/compare/?devices={ids}").content.decode()
    row = html.split('data-row="global"', 1)[1].split("</tr>", 1)[0]
    assert f"{BEST}150.0" not in row and f"{BEST}100.0" in row
    run = html.split('data-row="ranking_run"', 1)[1].split("</tr>", 1)[0]
    assert "suspect: machine busy" in run


def test_compare_selected_action_opens_the_page_in_the_list_order(admin_client):
    a, _not_selected, c = machine("a"), machine("b"), machine("c")
    response = admin_client.post(
        "/admin/inventory/device/",
        {"action": "compare_selected", "_selected_action": [c.pk, a.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/inventory/device/compare/?devices={c.pk},{a.pk}"


@pytest.mark.parametrize("selected", [1, 11])
def test_compare_selected_refuses_fewer_than_2_or_more_than_10(admin_client, selected):
    ids = [machine(f"m{i}").pk for i in range(selected)]
    response = admin_client.post(
        "/admin/inventory/device/",
        {"action": "compare_selected", "_selected_action": ids},
        follow=True,
    )
    said = "1 selected" if selected == 1 else "more than 10 selected"
    assert f"Select 2 to 10 devices to compare ({said})." in response.content.decode()


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        ("{a},{a}", "is given twice"),
        ("abc,{a}", "&#x27;abc&#x27; is not a device id."),
        ("{a},999999", "No device with id 999999."),
    ],
)
def test_the_admin_compare_page_says_what_is_wrong_with_its_devices(admin_client, devices, message):
    a = DeviceFactory().pk
    url = "/admin/inventory/device/compare/?devices=" + devices.format(a=a)

    response = admin_client.get(url, follow=True)

    # back on the device list, in the admin, with the reason
    assert response.redirect_chain and response.status_code == 200
    assert message in response.content.decode()


def test_a_value_that_differs_is_told_by_more_than_its_highlight(admin_client):
    """The pale yellow highlight that says a value differs from the first machine's is 1.03:1
    on white (and hardly more in the dark theme): it is bold, edged and marked "≠" too, as the
    key above the table shows it."""
    a, b = machine("fast"), machine("slow", cpu="Intel Celeron N5105")
    html = admin_client.get(f"/admin/inventory/device/compare/?devices={a.pk},{b.pk}").content
    html = html.decode()

    key = html.split('class="bt-key"', 1)[1].split("</p>", 1)[0]
    mark = '<span class="bt-differs-mark" aria-hidden="true">≠</span>'
    assert f'<span class="bt-differs-sample">{mark} highlighted</span>' in key
    cpu = html.split('data-row="cpu_model"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="bt-differs">(.{0,80})', cpu)[0].startswith(mark)
    css = (Path(__file__).parents[1] / "static/benchsite/admin.css").read_text()
    rule = re.search(r"\.bt-fleet-compare td\.bt-differs, \.bt-differs-sample \{([^}]*)\}", css)[1]
    assert "font-weight: 600" in rule and "inset 3px 0 0 var(--bt-differs-edge)" in rule


def test_the_compare_tables_heads_name_every_column_and_each_group_of_rows(admin_client):
    """The label column's head was an empty cell, and "Ranking figures", "Hardware…" heads
    without a scope: a screen reader could not tell what they head."""
    a, b = machine("fast"), machine("slow")
    SnapshotFactory(device=a)  # a second snapshot of it, to compare
    pages = {
        "fleet-compare": f"/admin/inventory/device/compare/?devices={a.pk},{b.pk}",
        "compare": f"/admin/inventory/device/{a.pk}/compare/",
    }
    for table, url in pages.items():
        html = admin_client.get(url).content.decode()
        html = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        corner = re.search(r"<thead>\s*<tr><th([^>]*)>(.*?)</th>", html)
        assert corner[2] == '<span class="visually-hidden">Property</span>', table
        subheads = re.findall(r'<th colspan="\d+"([^>]*)>', html)
        assert subheads and all('scope="rowgroup"' in attributes for attributes in subheads)


def test_machines_without_a_snapshot_are_no_majority_to_differ_from(admin_client):
    """Two twins and three imported machines (no snapshot: a dash in each row): the twins'
    known CPU was marked as the one that differs from "most of them"."""
    twins = [machine(f"desk-{i}", score=100.0 - i) for i in range(2)]
    imported = [DeviceFactory(hostname=f"new-{i}") for i in range(3)]
    ids = ",".join(str(d.pk) for d in (*twins, *imported))

    html = admin_client.get(f"/admin/inventory/device/compare/?devices={ids}").content.decode()

    cpu = html.split('data-row="cpu_model"', 1)[1].split("</tr>", 1)[0]
    marked = ' class="bt-differs"'
    assert re.findall(r"<td( class=\"bt-differs\")?>", cpu) == ["", "", marked, marked, marked]
