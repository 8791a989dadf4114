"""A port replaced under the same name (the onboard eno1 after a board swap, a card swapped for
another in the same slot) is a hardware change: its card's MAC is another. A virtual
interface's new MAC (a Proxmox guest's tap at each start) is none, nor a Wi-Fi card's random
one; a VM's NIC keeps the MAC its configuration gives it, and a new one is told."""

import re

import pytest

from .test_virtual_nics import PORTS, nic, proxmox, submit_runs, told

pytestmark = pytest.mark.django_db

# eno1 after the board was swapped: another Intel chip, its MAC the new board's
NEW_ENO1 = nic("eno1", "e1000e", "a0:36:9f:5e:11:20", speed_mbps=1000, wake_on_lan=True)
REPLACED = "NIC replaced: eno1 igb → e1000e (3c:ec:ef:10:2a:01 → a0:36:9f:5e:11:20)"


def vm(mac: str, *, ip: str = "10.0.0.61", bridge: str = "02") -> list[dict]:
    """A Proxmox VM's interfaces as bench.sh sends them: its virtio NIC (`ip -j -d addr`'s
    link/ether, `ethtool -i`'s driver, no speed nor Wake-on-LAN read), and a Docker bridge it
    runs, which bench.sh lists (`bridge`: its MAC's first byte)."""
    return [
        {"name": "ens18", "type": "ethernet", "mac": mac, "ip": ip, "speed_mbps": None}
        | {"driver": "virtio_net", "wake_on_lan": None},
        nic("docker0", "bridge", f"{bridge}:42:8d:1e:77:10", type="bridge", ip="172.17.0.1"),
    ]


def parts(api, device) -> list[list[str]]:
    """The device's changes of a part (the API's ?parts=true), in words."""
    answer = api.get("/api/hardware-changes", {"device": device.pk, "parts": "true"}).json()
    return [entry["changes"] for entry in answer["results"]]


def test_a_port_replaced_under_the_same_name_is_a_part_change_everywhere(
    api, admin_client, submit, example
):
    device, (a, b) = submit_runs(
        submit, example, proxmox(101), proxmox(101, ports=[NEW_ENO1, *PORTS[1:]])
    )

    assert told(api, admin_client, device, a, b) == {
        "device page": [[REPLACED], [REPLACED]],
        "hardware changes": [[REPLACED]],
        "compared": True,
        "interfaces compared differ": True,
    }
    assert parts(api, device) == [[REPLACED]]
    assert a.hardware_key != b.hardware_key
    # the dashboard's panel of the parts changed names the machine and the change
    dashboard = admin_client.get("/admin/").content.decode()
    panel = dashboard.split('id="hardware-changed"', 1)[1].split("</div>", 1)[0]
    assert REPLACED in panel and device.hostname in panel
    # the compare page's row of eno1 says both MACs and drivers
    compared = admin_client.get(
        f"/admin/inventory/device/{device.pk}/compare/", {"a": a.pk, "b": b.pk}
    ).content.decode()
    rows = compared.split('id="compare-network-interfaces"', 1)[1].split("</tbody>", 1)[0]
    eno1 = next(row for row in rows.split("<tr") if "<th" in row and ">eno1<" in row)
    assert "3c:ec:ef:10:2a:01" in eno1 and "a0:36:9f:5e:11:20" in eno1
    assert "igb" in eno1 and "e1000e" in eno1


def test_a_board_swapped_with_four_ports_is_one_phrase(api, admin_client, submit, example):
    old = [nic(f"eno{n}", "igb", f"3c:ec:ef:10:2a:0{n}") for n in range(1, 5)]
    new = [nic(f"eno{n}", "igb", f"3c:ec:ef:77:00:0{n}") for n in range(1, 5)]
    device, (a, b) = submit_runs(submit, example, old, new)

    assert parts(api, device) == [["4 NICs replaced (other MACs): eno1, eno2, eno3, eno4"]]


def laptop(wired_mac: str, wifi_mac: str) -> list[dict]:
    """A laptop's wired port and its Wi-Fi, whose MAC NetworkManager randomises per network."""
    return [
        nic("enp0s31f6", "e1000e", wired_mac, speed_mbps=1000),
        {**nic("wlp0s20f3", "iwlwifi", wifi_mac, ip="192.168.1.23"), "type": "wifi"},
    ]


def started_again(interfaces: list[dict]) -> list[dict]:
    """A Proxmox node's guests started again: their tap, firewall bridge and veth other MACs,
    vmbr0 another port's."""
    ports = {"eno1", "eno2"}
    return [
        i if i["name"] in ports else {**i, "mac": re.sub(r"^..", "aa", i["mac"])}
        for i in interfaces
    ]


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        # the guests started again, then eno1's board swapped: that alone told
        (
            (proxmox(101, 201), started_again(proxmox(101, 201))),
            started_again(proxmox(101, 201, ports=[NEW_ENO1, *PORTS[1:]])),
            REPLACED,
        ),
        # a laptop's Wi-Fi on another network (another random MAC), then its wired port's
        # chip replaced on the board, on a third network
        (
            (laptop("54:b2:03:0e:71:c2", "3a:91:6c:02:5e:a4"),),
            laptop("8c:16:45:aa:01:02", "f6:0d:2b:9e:41:07"),
            "NIC replaced: enp0s31f6 (54:b2:03:0e:71:c2 → 8c:16:45:aa:01:02)",
        ),
        # a VM started again, the MAC of its config kept, its address another (DHCP) and its
        # Docker bridge's MAC another, then its NIC removed and added: another MAC
        (
            (vm("bc:24:11:5a:0e:7f"), vm("bc:24:11:5a:0e:7f", ip="10.0.0.88", bridge="aa")),
            vm("bc:24:11:c3:10:2d"),
            "NIC replaced: ens18 (bc:24:11:5a:0e:7f → bc:24:11:c3:10:2d)",
        ),
    ],
    ids=["proxmox guests started again", "wifi on other networks", "vm"],
)
def test_a_new_mac_that_is_no_new_card_is_no_hardware_change(
    api, admin_client, submit, example, before, after, said
):
    device, snapshots = submit_runs(submit, example, *before, after)

    # the runs before the card replaced tell nothing, their hardware keys alike
    assert len({s.hardware_key for s in snapshots[:-1]}) == 1
    assert parts(api, device) == [[said]]
    assert told(api, admin_client, device, *snapshots[-2:])["device page"] == [[said], [said]]


def bonded(eno1: str, eno2: str, bond: str) -> list[dict]:
    """A server's bond0 of two ports, under vmbr0: each port with the MAC a client sent (an
    older bench.sh: the bond's, which both carry; bench.sh 1.2.6: its own)."""
    return [
        nic("eno1", "igb", eno1, speed_mbps=1000),
        nic("eno2", "igb", eno2, speed_mbps=1000),
        nic("bond0", "bonding", bond, type="bond"),
        nic("vmbr0", "bridge", bond, type="bridge", ip="10.0.0.30"),
    ]


ENO1, ENO2, NEW_ENO2 = "3c:ec:ef:10:2a:01", "3c:ec:ef:10:2a:02", "a0:36:9f:5e:11:21"


@pytest.mark.parametrize(
    ("runs", "said", "listed"),
    [
        # an older bench.sh: eno1's card replaced, its new MAC the bond's and so eno2's. Neither
        # is told (which card a MAC both carry is, nothing says), eno2 no longer told replaced
        ([bonded(ENO1, ENO1, ENO1), bonded(NEW_ENO2, NEW_ENO2, NEW_ENO2)], [], []),
        # the machine's first run with bench.sh 1.2.6, eno2 sending its own MAC: no card
        # replaced; the snapshot knows more, listed once among all changes, with no phrase
        ([bonded(ENO1, ENO1, ENO1), bonded(ENO1, ENO2, ENO1)], [], [[]]),
        # then eno2's card replaced: eno2 alone, the bond's MAC (eno1's) unchanged
        (
            [bonded(ENO1, ENO1, ENO1), bonded(ENO1, ENO2, ENO1), bonded(ENO1, NEW_ENO2, ENO1)],
            [[f"NIC replaced: eno2 ({ENO2} → {NEW_ENO2})"]],
            [[f"NIC replaced: eno2 ({ENO2} → {NEW_ENO2})"], []],
        ),
    ],
    ids=["older client", "upgraded client", "a port of the bond replaced"],
)
def test_the_ports_of_a_bond_are_told_by_their_own_macs(api, submit, example, runs, said, listed):
    device, snapshots = submit_runs(submit, example, *runs)

    assert parts(api, device) == said
    every = api.get("/api/hardware-changes", {"device": device.pk}).json()["results"]
    assert [entry["changes"] for entry in every] == listed
