"""benchsite.clientip.client_address: DRF's rule for NUM_PROXIES, in one place."""

import pytest

from benchsite.clientip import client_address


@pytest.mark.parametrize(
    ("forwarded_for", "num_proxies", "client"),
    [
        ("6.6.6.6", 0, "10.0.0.1"),  # no proxy declared: the header is the client's own words
        (None, 1, "10.0.0.1"),  # nothing forwarded: the peer
        ("", 1, "10.0.0.1"),
        ("192.0.2.1", 1, "192.0.2.1"),
        ("6.6.6.6, 192.0.2.1", 1, "192.0.2.1"),
        ("6.6.6.6, 192.0.2.1, 10.0.0.2", 2, "192.0.2.1"),
        ("192.0.2.1", 3, "192.0.2.1"),  # fewer entries than proxies: the leftmost
        ("6.6.6.6,  , ", 1, "10.0.0.1"),  # an empty entry names nobody
    ],
)
def test_client_address(forwarded_for, num_proxies, client):
    assert client_address("10.0.0.1", forwarded_for, num_proxies) == client
