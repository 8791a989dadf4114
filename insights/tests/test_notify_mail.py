"""Notifications by e-mail (mailto://), delivered by Apprise to a real SMTP server on loopback:
a small office's first receiver, and one the JSON receivers of test_notify never tried."""

import base64
import email
import io
import logging
import socketserver
import threading
from email import policy

import pytest
from django.core.management import CommandError, call_command

from insights import checks
from insights.models import AttentionItem, Notification

from .machines import disk
from .test_notify import SITE, notify_to, sent  # noqa: F401 (notify_to: a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cr3t-pw"  # noqa: S105 (the test server's)


class Conversation(socketserver.StreamRequestHandler):
    """SMTP as a relay or a provider speaks it, without TLS: EHLO offering AUTH PLAIN, MAIL,
    RCPT, DATA, QUIT; a login other than bench's is refused with 535."""

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.say("220 mail.test ESMTP")
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb, _, rest = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.say("250-mail.test")
                self.say("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(rest.split()[1]).decode().split("\0")
                if (user, password) == ("bench", PASSWORD):
                    self.say("235 2.7.0 Authentication successful")
                else:
                    self.say("535 5.7.8 Authentication credentials invalid")
            elif verb == "DATA":
                self.say("354 End data with <CR><LF>.<CR><LF>")
                lines = iter(self.rfile.readline, b".\r\n")
                data = b"".join(line[1:] if line.startswith(b"..") else line for line in lines)
                self.server.mails.append(email.message_from_bytes(data, policy=policy.default))
                self.say("250 2.0.0 queued")
            elif verb == "QUIT":
                self.say("221 2.0.0 bye")
                return
            elif verb == "RCPT" and self.server.refuse_rcpt:
                self.say(self.server.refuse_rcpt)
            else:  # MAIL, RCPT, RSET, NOOP
                self.say("250 2.1.0 ok")


@pytest.fixture
def smtp():
    """An SMTP server on 127.0.0.1, on a free port, that keeps the mails it is given."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Conversation)
    server.daemon_threads = True
    server.mails = []
    server.refuse_rcpt = ""  # an answer to RCPT other than 250
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_disk_is_mailed_opened_then_resolved_and_a_refused_login_says_why(
    notify_to,  # noqa: F811
    smtp,
    run,
    caplog,
):
    """The README's form for a mail provider (a login, no TLS on loopback). A refused login,
    a server down and one that never answered all read "Connection error while submitting
    email": the SMTP server's answer, which tells them apart, was in Apprise's debug lines."""
    port = smtp.server_address[1]
    mail = f"127.0.0.1:{port}?from=bench@office.lan&to=admin@office.lan"
    wrong = f"mailto://bench:not-{PASSWORD}@{mail}"
    notify_to(f"mailto://bench:{PASSWORD}@{mail}&cc=it-at-office.lan", wrong, timeout=2.0)
    run("büro-nas", hours_ago=2, disks=[disk(smart_health="PASSED")])
    with caplog.at_level(logging.DEBUG):
        body = run("büro-nas", hours_ago=1, disks=[disk(smart_health="FAILED")])
        sent()
        run("büro-nas", hours_ago=0, disks=[disk(smart_health="PASSED")])
        sent()

    item = AttentionItem.objects.get()
    link = f"{SITE}/admin/inventory/device/{body['device_id']}/change/"
    opened, resolved = smtp.mails
    assert [opened["Subject"], resolved["Subject"]] == [
        "büro-nas: smart_failing",
        "büro-nas: smart_failing resolved",
    ]
    assert (opened["From"], opened["To"]) == ("bench@office.lan", "admin@office.lan")
    assert opened.get_content_type() == "text/plain"  # the link as written, not in markup
    assert opened.get_content().splitlines() == [
        "disk /dev/sda WD40EFRX (WD-WCC7K1234567) reports SMART FAILED",
        f"Opened {item.opened_at:%Y-%m-%d %H:%M:%S} UTC.",
        "To do: back up what is on this disk now, and replace it.",
        link,
    ]
    assert resolved.get_content().splitlines()[1:] == [
        f"Resolved {item.closed_at:%Y-%m-%d %H:%M:%S} UTC: this no longer holds "
        f"(open since {item.opened_at:%Y-%m-%d %H:%M:%S} UTC).",
        link,
    ]

    # the wrong login's "opened" tried once, its "resolved" waiting behind it
    refused = Notification.objects.filter(sent_at__isnull=True).order_by("id")
    assert [(row.title, row.attempts) for row in refused] == [
        ("büro-nas: smart_failing", 1),
        ("büro-nas: smart_failing resolved", 0),
    ]
    assert refused[0].target_label == f"mailto://bench:****@127.0.0.1:{port}/admin%40office.lan"
    assert refused[0].last_error == (
        'not taken: Connection error while submitting email to "127.0.0.1"; '
        "the server answered 535 5.7.8 Authentication credentials invalid"
    )
    assert PASSWORD not in caplog.text
    # what Apprise left out of a URL it loaded is still said, its own lines kept from the log
    assert (
        f"Apprise on mailto://bench:****@127.0.0.1:{port}/admin%40office.lan: Dropped invalid"
        " Carbon Copy email (it-at-office.lan) specified."
    ) in caplog.messages


def test_a_mail_url_apprise_refuses_is_told_why_and_no_log_line_shows_its_password(
    notify_to,  # noqa: F811
    caplog,
):
    """mailto://user:password@127.0.0.1 without from= makes no From address: "not an Apprise
    URL", said of it, sent people looking for another scheme. Apprise's own lines of a URL it
    could not load went to the log with the password's first and last letters ("s...w")."""
    urls = [
        f"mailto://bench:{PASSWORD}@127.0.0.1:2525?to=admin@office.lan",
        f"mailt://bench:{PASSWORD}@127.0.0.1:2525?to=admin@office.lan",
    ]
    notify_to(*urls)
    out = io.StringIO()
    with caplog.at_level(logging.DEBUG), pytest.raises(CommandError, match="2 of 2 URL"):
        call_command("notify_test", stdout=out)
    why = (
        "a mailto:// URL Apprise refuses: Invalid ~From~ email specified: Apprise <bench@127.0.0.1>"
    )
    assert out.getvalue().splitlines() == [
        f"mailto://…: FAILED ({why})",
        "mailt://…: FAILED (not an Apprise URL)",
    ]
    with caplog.at_level(logging.DEBUG):
        errors = checks.check_notify_urls(None)
    assert [error.msg for error in errors] == [
        f"NOTIFY_URLS: mailto://… is {why}.",
        "NOTIFY_URLS: mailt://… is not an Apprise URL.",
    ]
    assert PASSWORD not in caplog.text
    assert f"{PASSWORD[0]}...{PASSWORD[-1]}" not in caplog.text


def test_a_relay_that_refuses_the_recipient_is_told_in_its_words(smtp):
    """Apprise logs a refused recipient or message at debug through its one logger, whose
    level never let the line be made: every refusal read "Sending email to … failed."."""
    from insights import delivery

    smtp.refuse_rcpt = "550 5.7.1 Relaying denied"
    port = smtp.server_address[1]
    url = f"mailto://127.0.0.1:{port}?from=bench@office.lan&to=admin@office.lan"
    notification = delivery.Notification("nas: smart_failing", "disk", "failure")

    error = delivery.attempt(notification, url, timeout=2.0)

    assert error == (
        "not taken: the server answered 550 5.7.1 Relaying denied; "
        'Sending email to "admin@office.lan" failed.'
    )
    assert smtp.mails == []


@pytest.mark.parametrize(
    ("said", "told"),
    [
        ("(554, b'5.7.1 Message rejected as spam')", "554 5.7.1 Message rejected as spam"),
        # a refused sender: smtplib adds the address after the answer
        (
            "(553, b'5.1.8 Sender domain rejected', 'bench@x.org')",
            "553 5.1.8 Sender domain rejected",
        ),
        (
            "{'ops@x': (550, b'5.7.1 Relaying denied'), 'b@x': (550, b'5.1.1 User unknown')}",
            "550 5.7.1 Relaying denied; 550 5.1.1 User unknown",
        ),
        ("{'a@x': (550, b'5.7.1 Denied'), 'b@x': (550, b'5.7.1 Denied')}", "550 5.7.1 Denied"),
    ],
)
def test_an_smtp_refusal_is_said_answer_by_answer(said, told):
    """The answer ran on to the last quote of the line: "…rejected', 'bench@x.org"."""
    from insights.delivery import smtp_answer

    assert smtp_answer(f"Socket Exception: {said}") == f"the server answered {told}"
