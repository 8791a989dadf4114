"""What a notification says, and its delivery to one NOTIFY_URLS address through Apprise
(insights.notify stores and sends them; `manage.py notify_test` sends one)."""

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from benchsite.records_admin import local_time

from .apprise_log import apprise_says, masked
from .disk_rules import DEALT_WITH, gone_said
from .models import AttentionItem, Severity

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    type: str  # Apprise's NotifyType: info, success, warning, failure


def device_admin_url(device_id: int) -> str:
    return settings.SITE_URL + reverse("admin:inventory_device_change", args=(device_id,))


# what a person does about an item that opens, said under its message: a disk's kinds (a
# score's item says what it measured, and the device's page how it compares)
TO_DO = {
    "smart_failing": "To do: back up what is on this disk now, and replace it.",
    "smart_degrading": (
        "To do: check the backups of what is on this disk and plan to replace it (these counters "
        "only grow on a dying disk); acknowledge this once it is dealt with."
    ),
    "disk_hot": "To do: check the machine's fans, airflow and dust; this closes once it is cooler.",
}

# an item's closed_by when its device was deleted (benchsite.device_services)
DEVICE_DELETED = "(its device deleted)"
# and when its device was retired (services.attention_close_retired)
DEVICE_RETIRED = "(its device retired)"
# why an item closed (an extension of the contract's item): the rules found it over, a person
# acknowledged it, or its device was retired (the condition not checked since)
CLOSED_REASONS = ("resolved", "acknowledged", "device_retired")


def reason_closed(closed_at, closed_by: str) -> str | None:
    """None while the item is open; else why it closed (CLOSED_REASONS), from its closed_at and
    closed_by (the API's closed_reason, and the export's, which reads values, not items)."""
    if closed_at is None:
        return None
    if closed_by == DEVICE_RETIRED:
        return "device_retired"
    return "acknowledged" if closed_by else "resolved"


def item_notification(
    item: AttentionItem,
    *,
    resolved: bool,
    reopened: bool = False,
    rescored: bool = False,
    named: str | None = None,
) -> Notification:
    """`<hostname>: <kind>` with the item's message and the device's page; `… resolved` when
    it closed. `reopened`: an item its device's retirement closed, open again now (its
    `updated_at`) that the device is back in service: "Opened <months ago>" alone read as
    news of then. `rescored`: closed by a rescore, which measured nothing: the disk at 70 °C
    under a limit raised to 80 was "Resolved: this no longer holds", still at 70 °C.
    `named`: the machine's name its opening was sent under, which its "resolved" keeps, the
    device renamed since (a receiver pairs the two by their title)."""
    hostname = item.device.hostname
    title = f"{named or hostname}: {item.kind}"
    # what to do, in a message that says it, is no more to do once the item closed: an
    # acknowledged disk's "resolved" said "acknowledge this once it is dealt with" all the same
    lines = [item.message.replace(DEALT_WITH, ")") if resolved else item.message]
    # when, to the second: the receiver's own clock may differ, and a notification retried for
    # hours arrives long after it was made
    if resolved:
        # the first line is what held: said to be over, not read as what holds now
        title += " resolved"
        if item.closed_by == DEVICE_DELETED:
            what = f"Closed {when(item.closed_at)}: the device was deleted"
        elif item.closed_by == DEVICE_RETIRED:
            what = (
                f"Closed {when(item.closed_at)}: the device was retired; the condition was not "
                "checked again"
            )
        elif item.closed_by:
            what = (
                f"Acknowledged by {item.closed_by} {when(item.closed_at)}: closed by hand"
                " (an account or a token), not because it no longer holds"
            )
        elif item.kind in ("smart_failing", "disk_hot") and (gone := gone_said(item.message)):
            # not "no longer holds", read as a disk that recovered
            now = "was replaced" if gone == "replaced" else "is no longer in the machine"
            what = f"Resolved {when(item.closed_at)}: the disk {now}"
        elif rescored:
            what = (
                f"Resolved {when(item.closed_at)} by a rescore: judged again, with the "
                "thresholds and weights now in force, on the same runs, it no longer holds"
            )
        else:
            what = f"Resolved {when(item.closed_at)}: this no longer holds"
        lines.append(f"{what} (open since {when(item.opened_at)}).")
        if named and named != hostname:
            lines.append(f"The machine is now named {hostname}.")
        kind = "success"
    elif reopened:
        lines.append(
            f"Reopened {when(item.updated_at)}: the device is back in service, and its "
            f"retirement had closed this, unchecked (first opened {when(item.opened_at)})."
        )
    else:
        lines.append(f"Opened {when(item.opened_at)}.")
    if not resolved:
        kind = "failure" if item.severity == Severity.CRITICAL else "warning"
    if not resolved and item.kind in TO_DO:
        lines.append(TO_DO[item.kind])
    if item.closed_by != DEVICE_DELETED:  # a deleted device's page is no more
        url = device_admin_url(item.device_id)
        # without SITE_URL, the page's path: no link, but where to look (insights.checks warns)
        lines.append(url if settings.SITE_URL else f"{url} on this server (no SITE_URL set)")
    return Notification(title=title, body="\n".join(lines), type=kind)


def when(moment) -> str:
    """In the server's TIME_ZONE, as the admin shows it, whoever caused it: an item opened by
    a submission (the API answers in UTC: benchsite.apitime) was told in UTC."""
    if not moment:
        return "now"
    return local_time(moment, seconds=True, zoned=True, tz=timezone.get_default_timezone())


def target_of(url: str) -> str:
    """What a notification row keeps of its URL: its SHA-256 (the URL carries secrets)."""
    return hashlib.sha256(url.encode()).hexdigest()


def redacted(url: str) -> str:
    """A URL fit for a log: Apprise's privacy form (secrets masked), without the query, and
    the parts of the URL's path as Apprise shows a token, their first and last letters: its
    form showed a web hook's path and an ntfy topic whole, which let whoever read the log or
    the notifications' page post to the hook or read the topic."""
    plugin = instantiate(url)
    if plugin is None:
        # "ntfy.sh/topic" was written "ntfy.sh/topic://…", a URL it is not
        return url.split("://", 1)[0] + "://…" if "://" in url else "(a URL without ://)"
    label = plugin.url(privacy=True).split("?", 1)[0]
    # a mail's recipients in its path are not keys: kept
    own = {part for part in map(unquote, urlsplit(url).path.split("/")) if "@" not in part}
    own.discard("")
    scheme, _, rest = label.partition("://")
    host, slash, path = rest.partition("/")
    path = "/".join(_hint(part) if unquote(part) in own else part for part in path.split("/"))
    return f"{scheme}://{host}{slash}{path}"


def _hint(secret: str) -> str:
    return f"{secret[0]}...{secret[-1]}" if len(secret) > 2 else "****"


# the address of a web hook, the usual first try, and the Apprise URL that posts it JSON
_WEB_HOOK = {"http": "json", "https": "jsons"}


def unreadable(url: str) -> str:
    """Why Apprise cannot send to `url`, with what to write instead where that can be told:
    "not an Apprise URL" alone left a web hook's http:// address unexplained, and a mailto://
    URL Apprise refuses (no From address it can make of 127.0.0.1) unexplained too."""
    if "://" not in url:
        return "not an Apprise URL: it begins with its service, as ntfy://, mailto:// or json://"
    scheme = url.split("://", 1)[0].lower()
    if scheme in _WEB_HOOK:
        return (
            f"not an Apprise URL: a web hook's {scheme}:// address is written "
            f"{_WEB_HOOK[scheme]}://… for Apprise, which posts it JSON"
        )
    from apprise.manager_plugins import NotificationManager

    if scheme not in NotificationManager():
        return "not an Apprise URL"
    # its warnings say why; its error after them names the URL, a password's letters with it
    said = load(url)[1]
    why = "; ".join(message for level, message in said if level == logging.WARNING)
    refused = f"a {scheme}:// URL Apprise refuses"
    return f"{refused}: {masked(why, url)}" if why else refused


def preload() -> None:
    """Load Apprise and the plugins of NOTIFY_URLS now (~0.4 s): the server's master does,
    before it forks its workers, rather than each worker's first notification, which a later
    one sent by another worker could overtake."""
    for url in settings.NOTIFY_URLS:
        instantiate(url)


def instantiate(url: str):
    return load(url)[0]


def load(url: str):
    """Apprise's plugin for `url` (None when it cannot read it), and what Apprise said, kept
    from the log: "Could not load E-Mail URL: mailto://user:p...d@…" gave a password's first
    and last letters at every start (checks and the sender say why, masked)."""
    import apprise  # ~0.4 s with its plugins: loaded by the sender, not at every start

    with apprise_says(shown=logging.CRITICAL + 1) as said:
        plugin = apprise.Apprise.instantiate(url)
    if plugin is not None and (warned := [m for level, m in said if level >= logging.WARNING]):
        # loaded all the same, without what it warns of ("Dropped invalid Carbon Copy email")
        label = plugin.url(privacy=True).split("?", 1)[0]
        logger.warning("Apprise on %s: %s", label, masked("; ".join(warned), url, plugin))
    return plugin, said


MSG_NOT_TAKEN = "not taken (refused, timed out, or an error answered)"
# what Discord and Mattermost act on in a text message, which Apprise passes on as it is: a
# Markdown link (a disk a machine named "[click to re-enable SMART](https://…)" was a link
# there) and a mention (a hostname "web-01 @everyone" pinged the whole channel)
_LINK = re.compile(r"\]\s*\(")
# "@everyone", Discord's "<@123>", and its role and nickname forms "<@&123>" and "<@!123>"
_MENTION = re.compile(r"@(?=[\w&!])")
# Discord's channel links "<#123>" and Slack-style "<!here>", "<!channel>"
_ANGLED = re.compile(r"<(?=[#!])")


def inert(text: str) -> str:
    """A notification's text as every receiver shows it, not acts on it: a link's "](" parted
    ("] ("), and a zero-width space after an "@" that starts a mention (@everyone, <@123>, a
    role's <@&123>) and after the "<" of a channel's <#123> or <!here>."""
    return _ANGLED.sub("<\u200b", _MENTION.sub("@\u200b", _LINK.sub("] (", text)))


# a delivery's whole time, in timeouts: each read's timeout bounds a receiver that never
# answers, not one that answers a byte at a time. Room for a slow relay's conversation (a mail
# is some seven answers, each within the timeout), as a delivery cut short may still arrive
# after it, and be sent again with the retry
DEADLINE_TIMEOUTS = 3
MSG_TOO_SLOW = "no whole answer within {seconds:g} s (NOTIFY_TIMEOUT_S × 3): given up"


def deadline_seconds() -> float:
    """How long one delivery may take in all (15 s by default: within gunicorn's 20-s grace of a
    stopping worker, which waits for the delivery it is making)."""
    return DEADLINE_TIMEOUTS * settings.NOTIFY_TIMEOUT_S


def lease_seconds() -> float:
    """How long a notification claimed is its sender's: its whole delivery, and 30 s more."""
    return deadline_seconds() + 30


def attempt(notification: Notification, url: str, *, timeout: float) -> str | None:
    """Deliver to one URL: None, or why it failed. Never raises; the caller says what it
    means (the sender: a retry or giving up; notify_test: FAILED)."""
    try:
        plugin = instantiate(url)
        if plugin is None:
            return unreadable(url)
        # Apprise's request timeout is (connect, read); both bound a receiver that hangs
        plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
        from apprise.plugins.email import NotifyEmail  # loaded by instantiate()

        mail = isinstance(plugin, NotifyEmail)
        deadline = DEADLINE_TIMEOUTS * timeout
        outcome = within(deadline, partial(_send, plugin, notification, url))
        if outcome is None:
            # one URL's receiver that answered a byte at a time held the one sender, and every
            # other URL's notifications, for ever
            return MSG_TOO_SLOW.format(seconds=deadline)
        taken, said = outcome
        if taken:
            return None
        why = "; ".join(
            message if level >= logging.WARNING else smtp_answer(message)
            for level, message in said
            if level >= logging.WARNING or (mail and message.startswith(_SOCKET_EXCEPTION))
        )
        return f"not taken: {masked(why, url, plugin)[:500]}" if why else MSG_NOT_TAKEN
    except Exception as error:
        # not a receiver's answer: a plugin's own failure, worth its traceback
        logger.warning(
            "notification %r to %s raised", notification.title, redacted(url), exc_info=True
        )
        return f"{type(error).__name__}: {error}"


def _send(plugin, notification: Notification, url: str) -> tuple[bool, list]:
    """plugin.notify, and what Apprise said meanwhile: kept as the reason (a connection
    refused or timed out, the status a receiver answered), which the sender logs and the
    admin shows. A mail's is in its debug lines only: its warning read the same for a
    password refused, a server down and one that never answered."""
    # text, which Apprise escapes for a receiver that renders HTML or Markdown (mail, Slack):
    # a disk named "<a href=…>" or "[click](…)" by a machine is shown, not followed
    from apprise import NotifyFormat

    body, title, kind = inert(notification.body), inert(notification.title), notification.type
    shown = logging.getLogger("apprise").getEffectiveLevel()
    with apprise_says(shown=shown, plugin=plugin, url=url) as said:
        taken = plugin.notify(
            body=body, title=title, notify_type=kind, body_format=NotifyFormat.TEXT
        )
    return taken, said


def within(seconds: float, call: Callable[[], T]) -> T | None:
    """`call()` in a thread of its own, its result or its exception; None when it has not
    ended within `seconds` (left to end by itself: a daemon thread, its socket's timeouts)."""
    done: list = []

    def run() -> None:
        try:
            done.append((True, call()))
        except BaseException as error:  # raised again in the caller's thread
            done.append((False, error))

    worker = threading.Thread(target=run, name="notification-delivery", daemon=True)
    worker.start()
    worker.join(seconds)
    if not done:
        return None
    ok, value = done[0]
    if not ok:
        raise value
    return value


_SOCKET_EXCEPTION = "Socket Exception: "
# smtplib's error for a server's answer: "(535, b'5.7.8 Authentication credentials invalid')"
# (a bytes literal: its quote, then anything but that quote unescaped)
_ANSWER = re.compile(r"""\((\d{3}), b(['"])((?:\\.|(?!\2).)*)\2""", re.DOTALL)


def smtp_answer(message: str) -> str:
    """Apprise's debug line of a mail not sent, as a person reads it: "the server answered 535
    5.7.8 Authentication credentials invalid", "[Errno 111] Connection refused", "…timed out"."""
    message = message.removeprefix(_SOCKET_EXCEPTION)
    # a whole message refused, "(554, b'…')", its sender, "(553, b'…', 'bench@…')", or its
    # recipients, "{'a@b': (550, b'…'), 'c@d': (550, b'…')}": each answer, once
    answers = dict.fromkeys(f"{code} {text}" for code, _, text in _ANSWER.findall(message))
    if answers:
        return f"the server answered {'; '.join(answers)}"
    return message
