"""A Proxmox node, a Docker host or a libvirt host lists other virtual interfaces at every run
(its VMs and containers started and stopped): no hardware change on the device page, in the
fleet's hardware changes, nor between two snapshots compared; a port renamed or replaced is
one still. Each snapshot keeps its interfaces as sent."""

import copy
import re
import uuid

import pytest

from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db


def nic(name: str, driver: str | None, mac: str, **fields) -> dict:
    """An interface as an older bench.sh sent it, from `ip -j -d addr` and `ethtool -i`: a
    veth's or a tap's link is ether, its type "ethernet"."""
    return {"name": name, "type": "ethernet", "mac": mac, "driver": driver, **fields}


def guest(vmid: int) -> list[dict]:
    """What a Proxmox VM with the firewall on adds to its node: its tap, its firewall bridge
    and the veth pair to vmbr0."""
    mac = f"{vmid % 256:02x}"
    return [
        nic(f"tap{vmid}i0", "tun", f"fe:ab:0c:{mac}:00:01", speed_mbps=10),
        nic(f"fwbr{vmid}i0", "bridge", f"be:6d:11:{mac}:00:02", type="bridge"),
        nic(f"fwpr{vmid}p0", "veth", f"7a:1c:95:{mac}:00:03", speed_mbps=10000),
        nic(f"fwln{vmid}i0", "veth", f"d2:40:5f:{mac}:00:04", speed_mbps=10000),
    ]


def container(ctid: int) -> list[dict]:
    return [nic(f"veth{ctid}i0", "veth", f"fe:3a:7d:{ctid % 256:02x}:00:05", speed_mbps=10000)]


PORTS = [
    nic("eno1", "igb", "3c:ec:ef:10:2a:01", speed_mbps=1000, wake_on_lan=True),
    nic("eno2", "igb", "3c:ec:ef:10:2a:02", speed_mbps=1000, wake_on_lan=True),
    nic("vmbr0", "bridge", "3c:ec:ef:10:2a:01", type="bridge", ip="10.0.0.30"),
]
NEW_CARD = nic("enp65s0f0", "ixgbe", "a0:36:9f:5e:11:20", speed_mbps=10000)


def proxmox(*guests: int, ports: list[dict] = PORTS) -> list[dict]:
    """A node's interfaces: its ports, then the VMs' (100-199) and containers' (200-) running."""
    made = [guest(n) if n < 200 else container(n) for n in guests]
    return [*ports, *(i for interfaces in made for i in interfaces)]


def docker(*networks: str) -> list[dict]:
    """A Docker host's: its port, docker0, a bridge per compose project, a veth per container."""
    interfaces = [
        nic("enp3s0", "r8169", "00:e0:4c:68:01:9a", speed_mbps=1000, ip="192.168.1.40"),
        nic("docker0", "bridge", "02:42:8d:1e:77:10", type="bridge", ip="172.17.0.1"),
    ]
    for n, network in enumerate(networks):
        interfaces.append(nic(f"br-{network}", "bridge", f"02:42:c0:a8:{n:02x}:01", type="bridge"))
        interfaces.append(nic(f"veth{network[:7]}", "veth", f"6e:21:9b:0{n}:44:02"))
    return interfaces


def libvirt_by_name(*vnets: int) -> list[dict]:
    """A libvirt host as a client that sends no driver saw it: its names only say it."""
    return [
        {"name": "enp0s31f6", "mac": "54:b2:03:0e:71:c2", "ip": "192.168.1.12"},
        {"name": "virbr0", "mac": "52:54:00:3b:9a:10", "ip": "192.168.122.1"},
        *({"name": f"vnet{n}", "mac": f"fe:54:00:6d:{n:02x}:b1"} for n in vnets),
    ]


def submit_runs(submit, example, *runs: list[dict]) -> tuple[Device, list[HardwareSnapshot]]:
    """Each run's submission, the machine's hardware the example's but for its interfaces."""
    for interfaces in runs:
        document = copy.deepcopy(example)
        document["submission_id"] = str(uuid.uuid4())
        document["hardware"]["network"] = {"interfaces": interfaces}
        assert submit(document).status_code == 201
    device = Device.objects.get(hostname=example["device_identifier"])
    return device, list(device.snapshots.order_by("captured_at", "id"))


def told(api, admin_client, device: Device, a: HardwareSnapshot, b: HardwareSnapshot) -> dict:
    """What each place says changed between the machine's two snapshots: the device page's
    hardware changes and its runs' rows, the fleet's list (the API's), the two compared."""
    page = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    # the section is there when the machine has a change to tell
    changes = page.partition('<fieldset class="module" id="hardware-changes">')[2]
    changes = changes.split("</fieldset>", 1)[0]
    api_list = api.get("/api/hardware-changes", {"device": device.pk}).json()["results"]
    compare = f"/admin/inventory/device/{device.pk}/compare/"
    compared = admin_client.get(compare, {"a": a.pk, "b": b.pk}).content.decode()
    interfaces = compared.split('id="compare-network-interfaces"', 1)[1].split("</tbody>", 1)[0]
    return {
        "device page": [
            re.findall(r'<span class="bt-change">([^<]*)</span>', changes),
            re.findall(r'<span class="bt-change">changed: ([^<]*)</span>', page),
        ],
        "hardware changes": [entry["changes"] for entry in api_list],
        "compared": "No hardware change between these two snapshots." not in compared,
        "interfaces compared differ": "bt-differs" in interfaces,
    }


UNCHANGED = {
    "device page": [[], []],
    "hardware changes": [],
    "compared": False,
    "interfaces compared differ": False,
}


@pytest.mark.parametrize(
    "runs",
    [
        # a Proxmox node: VMs 101 and 102 and container 201, then 101 stopped, 103 and 202 up
        (proxmox(101, 102, 201), proxmox(102, 103, 201, 202)),
        # a Docker host: a compose project down, two others up
        (docker("3f2a1b4c5d6e"), docker("9c0d7e6f5a4b", "0a1b2c3d4e5f")),
        # libvirt: vnet0 and vnet1, then vnet1 to vnet4
        (libvirt_by_name(0, 1), libvirt_by_name(1, 2, 3, 4)),
    ],
    ids=["proxmox", "docker", "libvirt without drivers"],
)
def test_other_virtual_interfaces_at_each_run_are_no_hardware_change(
    api, admin_client, submit, example, runs
):
    device, (a, b) = submit_runs(submit, example, *runs)

    assert told(api, admin_client, device, a, b) == UNCHANGED
    # the snapshots keep every interface as sent
    assert [a.network["interfaces"], b.network["interfaces"]] == list(runs)
    assert a.hardware_key == b.hardware_key


@pytest.mark.parametrize(
    ("ports", "said"),
    [
        # eno2 dead, a 10 GbE card in its place
        ([PORTS[0], NEW_CARD, PORTS[2]], "NICs eno1, eno2→eno1, enp65s0f0"),
        # a port renamed (another kernel's naming), the same card
        ([PORTS[0], {**PORTS[1], "name": "enp2s0"}, PORTS[2]], "NICs eno1, eno2→eno1, enp2s0"),
    ],
    ids=["replaced", "renamed"],
)
def test_a_port_replaced_among_virtual_interfaces_is_still_a_change(
    api, admin_client, submit, example, ports, said
):
    device, (a, b) = submit_runs(
        submit, example, proxmox(101, 201), proxmox(101, 102, 202, ports=ports)
    )

    assert told(api, admin_client, device, a, b) == {
        "device page": [[said], [said]],
        "hardware changes": [[said]],
        "compared": True,
        "interfaces compared differ": True,
    }
    compared = admin_client.get(
        f"/admin/inventory/device/{device.pk}/compare/", {"a": a.pk, "b": b.pk}
    ).content.decode()
    assert said in compared
    assert "tap101i0" not in compared.split('id="compare-network-interfaces"', 1)[1]


def test_the_device_pages_interfaces_are_the_ports_the_hardware_changes_read(
    admin_client, submit, example
):
    """A node's bond of its two ports under vmbr0 (the host's address on the bridge): the
    table lists the ports, as the hardware changes tell them; the bond and the bridges are in
    the line under it with the address they hold, all of them a click away."""
    bond = nic("bond0", "bonding", "3c:ec:ef:10:2a:01", type="bond")
    device, _ = submit_runs(submit, example, proxmox(101, ports=[*PORTS, bond]))

    page = f"/admin/inventory/device/{device.pk}/change/"
    html = admin_client.get(page).content.decode()
    table = html.split('id="interfaces"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<tr><td>([^<]+)</td>", table) == ["eno1", "eno2"]
    line = re.sub(r"<[^>]+>", "", html.split('id="interfaces-virtual">', 1)[1].split("</p>")[0])
    assert line == (
        "6 virtual interfaces (vmbr, bond, tap, fwbr, fwpr, fwln) not listed "
        "(addresses on them: vmbr0 10.0.0.30): list every interface."
    )
    whole = admin_client.get(page, {"all": "interfaces"}).content.decode()
    listed = whole.split('id="interfaces"', 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r"<tr><td>", listed)) == 8


def interface_rows(html: str) -> list[list[str]]:
    """The device page's interfaces table, each row its cells' text."""
    table = html.split('id="interfaces"', 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_each_port_says_the_bond_and_bridge_it_is_in_and_their_address(
    api, admin_client, submit, example
):
    """bench.sh 1.2.6 sends what each interface is a port of (`master`): the node's ports hold
    no address, and their rows said "–" where the machine's address is the bridge's over their
    bond. A snapshot an older bench.sh sent has no such column."""
    in_bond = [{**port, "master": "bond0"} for port in PORTS[:2]]
    bond = nic("bond0", "bonding", "3c:ec:ef:10:2a:01", type="bond", master="vmbr0")
    device, _ = submit_runs(submit, example, [*in_bond, bond, PORTS[2]])

    html = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    rows = interface_rows(html)
    assert rows[0][:5] == ["Name", "Type", "Port of", "MAC", "IP"]
    assert [row[:5] for row in rows[1:]] == [
        ["eno1", "ethernet", "bond0 → vmbr0", "3c:ec:ef:10:2a:01", "10.0.0.30 on vmbr0"],
        ["eno2", "ethernet", "bond0 → vmbr0", "3c:ec:ef:10:2a:02", "10.0.0.30 on vmbr0"],
    ]
    snapshot = api.get(f"/api/devices/{device.pk}").json()["last_snapshot"]
    assert [i.get("master") for i in snapshot["network"]["interfaces"]] == [
        "bond0",
        "bond0",
        "vmbr0",
        None,
    ]

    older, _ = submit_runs(submit, {**example, "device_identifier": "older"}, PORTS)
    html = admin_client.get(f"/admin/inventory/device/{older.pk}/change/").content.decode()
    assert interface_rows(html)[0][:4] == ["Name", "Type", "MAC", "IP"]
