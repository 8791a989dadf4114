"""A port of a bond sends its own MAC, not the bond's, and the bond it is a port of.

A bond (and a team) gives every port the MAC of its first one: each port of a Proxmox node's
bond0 read the same address, so the server could not tell a port's card replaced from another's
(README, "Hardware changes"). iproute2 says the port's own: `permaddr` on the link line (kernel
5.6 and later, with or without -d; in JSON the key `permaddr`, ip/ipaddress.c) and, with -d, a
bond port's `perm_hwaddr` in its `bond_slave` details (`linkinfo.info_slave_data.perm_hwaddr`
in JSON, ip/iplink_bond_slave.c), on older kernels too. Each interface also sends its
`master`, the bond, bridge or team it is a port of. The captures below are written in
those layouts; a published `ip link show` with `permaddr` is the corpus case
`net-iplink-text-bond-permaddr-ubuntu`.
"""

import json

import pytest

from .benchrun import bench_json

BOND = "3c:ec:ef:10:2a:01"  # eno1's own, which the bond took
ENO2 = "3c:ec:ef:10:2a:02"
ENO3 = "3c:ec:ef:10:2a:03"


def _link(index, name, address, **more) -> dict:
    return {
        "ifindex": index,
        "ifname": name,
        "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        "mtu": 1500,
        "operstate": "UP",
        "link_type": "ether",
        "address": address,
        "broadcast": "ff:ff:ff:ff:ff:ff",
        **more,
        "addr_info": [],
    }


def _port(index, name, own, *, permaddr: bool) -> dict:
    """A bond's port as `ip -j -d addr` writes it: the bond's MAC, its own in the details."""
    slave = {"state": "ACTIVE" if own == BOND else "BACKUP", "mii_status": "UP"}
    slave |= {"link_failure_count": 0, "perm_hwaddr": own, "queue_id": 0}
    more = {"permaddr": own} if permaddr and own != BOND else {}
    linkinfo = {"info_slave_kind": "bond", "info_slave_data": slave}
    return _link(index, name, BOND, master="bond0", **more, linkinfo=linkinfo)


def json_capture(*, permaddr: bool) -> str:
    bond = _link(4, "bond0", BOND, master="vmbr0", linkinfo={"info_kind": "bond"})
    bridge = _link(5, "vmbr0", BOND, linkinfo={"info_kind": "bridge"})
    bridge["addr_info"] = [{"family": "inet", "local": "192.168.1.20", "scope": "global"}]
    # a bridge's port keeps its own MAC: no permaddr, none lent
    eno3 = _link(3, "eno3", ENO3, master="vmbr1", linkinfo={"info_slave_kind": "bridge"})
    links = [
        _port(1, "eno1", BOND, permaddr=permaddr),
        _port(2, "eno2", ENO2, permaddr=permaddr),
        eno3,
        bond,
        bridge,
    ]
    return json.dumps(links)


# `ip -d address` of a kernel before 5.6 (a sosreport's ip_-d_address): no permaddr, the
# bond_slave line tells each port's own
TEXT_D = f"""\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
2: eno1: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc mq master bond0 state UP group default qlen 1000
    link/ether {BOND} brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 9000
    bond_slave state ACTIVE mii_status UP link_failure_count 0 perm_hwaddr {BOND} queue_id 0 numtxqueues 8 numrxqueues 8 gso_max_size 65536 gso_max_segs 65535
3: eno2: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc mq master bond0 state UP group default qlen 1000
    link/ether {BOND} brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 9000
    bond_slave state BACKUP mii_status UP link_failure_count 0 perm_hwaddr {ENO2} queue_id 0 numtxqueues 8 numrxqueues 8 gso_max_size 65536 gso_max_segs 65535
4: eno3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master vmbr1 state UP group default qlen 1000
    link/ether {ENO3} brd ff:ff:ff:ff:ff:ff promiscuity 1 minmtu 68 maxmtu 9000
    bridge_slave state forwarding priority 32 cost 4 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x8001 port_no 0x1 designated_port 32769 designated_cost 0 designated_bridge 8000.{ENO3.replace(":", "")} designated_root 8000.{ENO3.replace(":", "")} hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off numtxqueues 8 numrxqueues 8 gso_max_size 65536 gso_max_segs 65535
5: bond0: <BROADCAST,MULTICAST,MASTER,UP,LOWER_UP> mtu 1500 qdisc noqueue master vmbr0 state UP group default qlen 1000
    link/ether {BOND} brd ff:ff:ff:ff:ff:ff promiscuity 1 minmtu 68 maxmtu 65535
    bond mode active-backup active_slave eno1 miimon 100 updelay 0 downdelay 0 peer_notify_delay 0 use_carrier 1 arp_interval 0 arp_validate none arp_all_targets any primary_reselect always fail_over_mac none xmit_hash_policy layer2 resend_igmp 1 num_grat_arp 1 all_slaves_active 0 min_links 0 lp_interval 1 packets_per_slave 1 lacp_rate slow ad_select stable tlb_dynamic_lb 1 numtxqueues 16 numrxqueues 16 gso_max_size 65536 gso_max_segs 65535
6: vmbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether {BOND} brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535
    inet 192.168.1.20/24 scope global vmbr0
       valid_lft forever preferred_lft forever
"""  # noqa: E501 (iproute2's lines as it writes them)


@pytest.mark.parametrize(
    "name, content",
    [
        ("ip-addr.json", json_capture(permaddr=True)),
        ("ip-addr.json", json_capture(permaddr=False)),  # before kernel 5.6: perm_hwaddr only
        ("ip-addr.txt", TEXT_D),
    ],
    ids=["json-permaddr", "json-perm-hwaddr", "text-d-perm-hwaddr"],
)
def test_each_port_of_a_bond_sends_its_own_mac(tmp_path, name, content):
    (tmp_path / name).write_text(content)
    (tmp_path / "uname.txt").write_text("Linux pve1 6.8.12-4-pve #1 SMP x86_64 GNU/Linux\n")
    interfaces = bench_json("--from-dir", str(tmp_path))["hardware"]["network"]["interfaces"]
    macs = {nic["name"]: (nic["type"], nic["mac"], nic["master"]) for nic in interfaces}
    assert macs == {
        "eno1": ("ethernet", BOND, "bond0"),
        "eno2": ("ethernet", ENO2, "bond0"),  # was the bond's, as eno1's
        "eno3": ("ethernet", ENO3, "vmbr1"),  # a bridge's port: its own, always
        # the bond and the bridge over it: the MAC the network sees
        "bond0": ("bond", BOND, "vmbr0"),
        "vmbr0": ("bridge", BOND, None),
    }
