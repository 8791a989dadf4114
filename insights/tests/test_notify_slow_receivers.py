"""A receiver that answers a byte at a time: each read comes within NOTIFY_TIMEOUT_S, so the
read timeout never fires, and the one sender thread of a process, and every other URL's
notifications behind it, waited for ever. A delivery now has a deadline of its own."""

import socket
import threading
import time

import pytest

from insights import delivery
from insights.models import Notification

from .machines import disk
from .test_notify import notify_to, receiver, sent  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dripping():
    """A receiver on 127.0.0.1 that answers every connection one byte every 0.05 s, for ever."""
    stop = threading.Event()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)

    def drip(conn: socket.socket) -> None:
        with conn:
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"H")
                except OSError:
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        server.join()
        sock.close()


def test_a_delivery_to_a_receiver_that_drips_its_answer_gives_up_at_its_deadline(dripping):
    notification = delivery.Notification("nas: smart_failing", "disk", "failure")
    url = f"json://127.0.0.1:{dripping}/hook"
    delivery.preload()  # Apprise loaded: not what is timed

    said = []
    started = time.monotonic()
    # in a thread of the test's, so that a delivery that never ends fails the test, not hangs it
    trying = threading.Thread(
        target=lambda: said.append(delivery.attempt(notification, url, timeout=0.25)), daemon=True
    )
    trying.start()
    trying.join(10)
    took = time.monotonic() - started

    assert said == ["no whole answer within 0.75 s (NOTIFY_TIMEOUT_S × 3): given up"]
    assert 0.75 <= took < 1.75


def test_a_dripping_receiver_holds_up_no_other_urls_notifications(
    notify_to,  # noqa: F811
    receiver,  # noqa: F811
    dripping,
    run,
):
    notify_to(f"json://127.0.0.1:{dripping}/hook", receiver.url, timeout=0.25)
    run(hours_ago=1, disks=[disk(smart_health="PASSED")])
    run(hours_ago=0, disks=[disk(smart_health="FAILED")])

    sent()

    assert receiver.titles() == ["nas: smart_failing"]
    slow = Notification.objects.get(sent_at__isnull=True)
    assert (slow.attempts, slow.last_error) == (
        1,
        "no whole answer within 0.75 s (NOTIFY_TIMEOUT_S × 3): given up",
    )
