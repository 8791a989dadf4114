"""A device's change history: edits made outside the admin form (the API, a rename by a
submission, the CSV import) written as the admin's own history entries (LogEntry), with the old
and new value of each field, so the device's "History" page answers "who changed this, when".

LogEntry needs a user. A person (an admin session) is that user. A token is not a person: each
token principal ("token:<name>", "API_TOKEN") and the import command get an inactive user of
that exact name, created on first use, with no usable password — it can never log in, but the
history's "user" column shows the token's name and entries stay filterable by it. Names with
a colon or a space cannot be typed in the user forms, so a token's user never collides with a
person's account.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from .models import Device

IMPORT_ACTOR = "import"  # who the import command acts as (the admin page acts as its user)


def actor_user(actor: Any):
    """The user a change is attributed to: a person as is; any other principal (a token, the
    import command) by its name, as an inactive user created on first use."""
    if getattr(actor, "pk", None) is not None:
        return actor
    name = str(actor or "unknown")[:150]
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        **{user_model.USERNAME_FIELD: name}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=("password",))
    return user


def shown(value: Any) -> str:
    """A value as a history line quotes it: "lab"; a list each of its values: "a", "b" (a tag
    named "linux, serveur" is not two)."""
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value) if value else '""'
    text = "" if value is None else str(value)
    if len(text) > 80:  # a long description: enough to recognise it
        text = text[:77] + "..."
    return '"' + " ".join(text.split("\n")).replace("\r", "") + '"'


def describe_changes(changes: Mapping[str, tuple[Any, Any]]) -> str:
    """'location "lab" → "rack-2"; tags "a" → "a", "b"' (fields in the order given)."""
    return "; ".join(f"{name} {shown(old)} → {shown(new)}" for name, (old, new) in changes.items())


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """{field: (old, new)} for each field of `after` whose value differs from `before`."""
    return {
        name: (before.get(name), value)
        for name, value in after.items()
        if before.get(name) != value
    }


@dataclass(frozen=True)
class Entry:
    """One history line of one device."""

    device: Device
    message: str
    added: bool = False
    deleted: bool = False


def device_history_log(*, actor: Any, entries: Sequence[Entry]) -> None:
    """Write history entries for devices, attributed to `actor` (one INSERT for them all)."""
    if not entries:
        return
    user = actor_user(actor)
    content_type = ContentType.objects.get_for_model(Device)  # cached after the first call
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                user_id=user.pk,
                content_type_id=content_type.pk,
                object_id=str(entry.device.pk),
                object_repr=str(entry.device)[:200],
                action_flag=ADDITION if entry.added else DELETION if entry.deleted else CHANGE,
                change_message=entry.message,
            )
            for entry in entries
        ],
        batch_size=500,
    )


def tag_names(tags: Iterable[Any]) -> list[str]:
    """Tag names in a stable order, for comparing and showing."""
    return sorted((str(tag) for tag in tags), key=str.lower)


def api_change_log(actor: Any, device: Device, message: str, *, deleted: bool = False) -> None:
    """One line of a device's history for a change made through the API to what the device
    carries (a manufacturer link, a document) or to the device itself."""
    device_history_log(actor=actor, entries=[Entry(device, message, deleted=deleted)])


def link_text(label: str, url: str) -> str:
    return f"manufacturer link {shown(label)} ({url})"


# where a history line's sentence about a document or a link starts: ours ('Added through the
# API: document "a.pdf" (manual).', 'Changed document "a.pdf": title …') and Django's for the
# device page's rows ('Changed URL and Label for manufacturer link “Dell”.')
_ABOUT = re.compile(
    r"(?:^|(?<=\. ))(?P<verb>Added|Changed|Deleted)(?P<api> through the API:)?"
    r"(?: [^.“\"]*? for)? (?P<kind>document|manufacturer link) "
)


# what a history line's sentences are joined by: no value holds one (shown() writes a line
# break as a space), so a sentence is told from a value that looks like one
SENTENCES = "\n"


def history_hidden(message: str, kinds: set[str]) -> str:
    """A history line as said to an account that may not view these `kinds` ("document",
    "manufacturer link"): each sentence about one of them as "Changed document “…”.". A line
    of sentences joined by SENTENCES (0.14.2 on) is read sentence by sentence; an earlier one,
    joined by spaces, from its first such sentence outside a quoted value on, with " …" when
    more followed: a title or a label quoted after it may hold any text (a '"', "Changed …")."""

    def said(about: re.Match) -> str:
        return f"{about['verb']}{about['api'] or ''} {about['kind']} “…”."

    if SENTENCES in message:
        return SENTENCES.join(
            said(about) if (about := _ABOUT.match(line)) and about["kind"] in kinds else line
            for line in message.split(SENTENCES)
        )
    # a value's quotes come in pairs: a sentence that starts inside one is part of the value
    # ('location "Bldg. Changed document B"' hid the owner changed after it)
    hidden = next(
        (
            about
            for about in _ABOUT.finditer(message)
            if about["kind"] in kinds and message.count('"', 0, about.start()) % 2 == 0
        ),
        None,
    )
    if hidden is None:
        return message
    more = _ABOUT.search(message, hidden.end()) is not None
    return message[: hidden.start()] + said(hidden) + (" …" if more else "")
