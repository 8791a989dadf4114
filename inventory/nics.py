"""Which network interfaces of a snapshot are the machine's hardware: a Proxmox node lists other
tap, veth and fwbr/fwpr/fwln interfaces at every run (its VMs and containers started and
stopped), a Docker host veth, docker0 and br-<hex>, libvirt virbr and vnet. The snapshot keeps
them as sent; its hardware comparisons (inventory.history) read the others only."""

import re
from collections.abc import Mapping
from typing import Any

# an interface a hypervisor or a container runtime makes, by its name, as bench.sh leaves them
# out of what it sends (its virtual_name): what tells one where the kernel's word is not sent
VIRTUAL_NAME = re.compile(
    r"^(lo$|veth|docker|br-[0-9a-f]{12}|virbr|vnet|tap|tun|ifb|dummy|kube|cni|flannel|cali|weave"
    r"|vxlan|lxcbr|lxdbr|tailscale|zt|wg|fwbr|fwpr|fwln|nlmon|podman|cilium)"
)
# a `type` no port has
MADE_TYPES = frozenset({"virtual", "veth", "tap", "tun", "dummy", "vxlan", "loopback"})
# a `type` of an interface made of others by the machine's configuration, not a port
SOFTWARE_TYPES = frozenset({"bridge", "bond", "vlan", "team", "macvlan", "ipvlan"})
# the kernel's driver of an interface no card is behind (ethtool -i, bench.sh's `driver`): a
# port's is its card's (e1000e, igb, r8169, mlx5_core; a VM's virtio_net, vmxnet3)
SOFTWARE_DRIVERS = frozenset(
    {
        "veth",
        "tun",  # tap and tun devices: a VM's tapNNNiN, libvirt's vnetN, VPNs
        "bridge",  # vmbrN, fwbrN, docker0, br-<hex>, virbrN
        "openvswitch",
        "802.1q vlan support",
        "bonding",
        "team",
        "macvlan",  # macvtap too
        "ipvlan",
        "dummy",
        "vxlan",
        "geneve",
        "wireguard",
        "vrf",
        "ifb",
        "nlmon",
        "netkit",
        "ip_gre",
        "ip6_gre",
        "ipip",
        "sit",
        "ip6_tunnel",
        "ip_vti",
        "ip6_vti",
    }
)


def is_virtual(nic: Mapping[str, Any]) -> bool:
    """Whether an interface is one software made (a VM's tap, a container's veth, a bridge, a
    bond, a VLAN) rather than a port of the machine: as its kernel driver says, when sent; else
    as its `type` or, last, its name says. A port keeps its driver whatever it is named: a NIC
    renamed or replaced is still a change."""
    driver = str(nic.get("driver") or "").strip().lower()
    if driver:
        return driver in SOFTWARE_DRIVERS
    kind = str(nic.get("type") or "").strip().lower()
    if kind in MADE_TYPES or kind in SOFTWARE_TYPES:
        return True
    return bool(VIRTUAL_NAME.match(str(nic.get("name") or "")))


# a Wi-Fi or mobile broadband interface (bench.sh's `type` "wifi" and "wwan", named by their
# names): NetworkManager, iwd and ModemManager give it a random MAC per network or connection
WIRELESS_TYPES = frozenset({"wifi", "wwan"})
WIRELESS_NAME = re.compile(r"^(wl|wlan|ath|ra[0-9]|ww)")


def card_mac(nic: Mapping[str, Any]) -> str:
    """The MAC that tells a port's card from another under the same name (an onboard eno1 after
    a board swap), lower case; "" where it tells none: a virtual interface's (a new one at each
    start), a Wi-Fi or mobile broadband interface's (randomised: the address bench.sh reads is
    the one of the network joined), one not sent or all zeros. A VM's NIC (virtio_net,
    vmxnet3) has the MAC its configuration gives it, kept across starts: a new one is a NIC
    removed and added."""
    mac = " ".join(str(nic.get("mac") or "").split()).lower()
    if not mac.strip("0:") or is_virtual(nic):
        return ""
    kind = str(nic.get("type") or "").strip().lower()
    if kind in WIRELESS_TYPES or WIRELESS_NAME.match(str(nic.get("name") or "")):
        return ""
    return mac
