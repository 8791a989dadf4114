"""Which interfaces a hardware comparison reads (inventory.nics): the kernel's driver says
whether one is virtual where the snapshot has it, whatever its name; its type, then its name,
where it has not."""

import pytest

from inventory.history import hardware_key, snapshot_changes
from inventory.tests.factories import SnapshotFactory

pytestmark = pytest.mark.django_db


def built(*interfaces: dict):
    return SnapshotFactory.build(network={"interfaces": [*interfaces]})


PORT = {"name": "enp5s0", "type": "ethernet", "driver": "r8169"}
# a container started meanwhile, as each case's background
CONTAINER = {"name": "veth101i0", "type": "ethernet", "driver": "veth"}


@pytest.mark.parametrize(
    ("came", "told"),
    [
        # a Kubernetes node's pods (Cilium's lxc…, Calico's cali…): veth pairs, whatever named
        ({"name": "lxc8d4e2f1a0b", "type": "ethernet", "driver": "veth"}, []),
        ({"name": "cali5b4c1d2e3f0", "type": "ethernet"}, []),
        # Open vSwitch's own, a WireGuard tunnel, a VLAN a VM's tag made (Proxmox: vmbr0v100)
        ({"name": "ovs-system", "driver": "openvswitch"}, []),
        ({"name": "mesh0", "driver": "wireguard"}, []),
        ({"name": "eno1.100", "driver": "802.1Q VLAN Support"}, []),
        ({"name": "vmbr0v100", "type": "bridge"}, []),
        # a USB Ethernet adapter plugged in: a port, named by its MAC
        ({"name": "enx00e04c680199", "driver": "r8152"}, ["NICs enp5s0→enp5s0, enx00e04c680199"]),
        # a card's driver says a port, though its name reads as a tunnel's
        ({"name": "tun0", "driver": "mlx5_core"}, ["NICs enp5s0→enp5s0, tun0"]),
    ],
)
def test_an_interface_that_came_is_a_change_as_the_kernel_says_it_is_a_port(came, told):
    before, after = built(PORT), built(PORT, came, CONTAINER)
    assert snapshot_changes(before, after) == told
    assert (hardware_key(before) == hardware_key(after)) is not told
