"""The URL of a manufacturer link: http or https, to the vendor's site or to a machine on the
LAN by its bare name (a NAS's or a BMC's web page: http://nas:5000/, https://idrac-r720/)."""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.utils.deconstruct import deconstructible

MSG_LINK_URL = "Enter a valid http:// or https:// URL."

# what a hostname (a submission's device_identifier) may not hold: control characters (a tab, a
# line break, DEL, the C1 controls: U+009B starts a terminal's escape sequences), which no
# machine's name has and which would break the lists and the logs; and the invisible ones (zero
# width spaces and joiners, direction marks, overrides and isolates, line and paragraph
# separators, a BOM), with which "nas\u200b" was a second device beside "nas" that looked the
# same, and a right-to-left override showed a name backwards; and the other characters that
# show as nothing or as a space: a no-break space ("pc\u00a0compta" beside "pc compta"), the
# soft hyphen Word and Excel insert, the other spaces of U+2000-U+200A, U+202F, U+205F, U+3000,
# the fillers and blanks (U+115F, U+1160, U+3164, U+FFA0, U+2800), the combining grapheme joiner,
# the Arabic letter mark, Khmer's invisible vowels, Mongolian's selectors, the variation
# selectors, the interlinear annotation marks and the tag characters. Written for Python's re
# and pydantic's Rust regex alike.
CONTROL_CHARACTERS_BMP = (
    r"\x00-\x1f\x7f-\xa0\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    r"\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u2800\u3000\u3164"
    r"\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
)
CONTROL_CHARACTERS = CONTROL_CHARACTERS_BMP + r"\U000e0000-\U000e007f"
# a name as the API's schema publishes it (JSON Schema's patterns are ECMA-262's): none of the
# characters above but the tag characters, which the server refuses too (\U000e0000 is an
# escape of Python's and Rust's alone: JavaScript read the class as a range from 0 to U, and a
# generated client refused "web-01"). A pattern, not an inverted class, which said the reverse.
NAME_PATTERN = rf"^[^{CONTROL_CHARACTERS_BMP}]*$"
MSG_HOSTNAME_CONTROL = (
    "hostname contains a control or invisible character (a tab, a line break, a zero-width "
    "or no-break space, a soft hyphen, a direction override…)."
)
validate_hostname = RegexValidator(
    rf"[{CONTROL_CHARACTERS}]", MSG_HOSTNAME_CONTROL, code="control", inverse_match=True
)
MSG_TAG_CONTROL = (
    "A tag's name may not contain a control or invisible character (a tab, a line break, a "
    'zero-width or no-break space, a soft hyphen…): "rack" followed by a zero-width space '
    "was a second tag that looked the same."
)
validate_tag_name = RegexValidator(
    rf"[{CONTROL_CHARACTERS}]", MSG_TAG_CONTROL, code="control", inverse_match=True
)
MSG_LINE_CONTROL = (
    "Enter it without a control or invisible character (a tab, a line break, a zero-width or "
    "no-break space, a direction override…): it would show as what it does not hold."
)
MSG_TEXT_CONTROL = (
    "Enter it without a control or invisible character but line breaks and tabs (a "
    "zero-width or no-break space, a direction override…): it would show as what it does "
    "not hold."
)
# the text of a description: the characters above but its lines and their tabs
TEXT_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f" + CONTROL_CHARACTERS.removeprefix(
    r"\x00-\x1f"
)


@deconstructible
class NoInvisibleCharacters:
    r"""The metadata people type (a location, an owner, an asset tag, a description), checked
    as a hostname and a tag are: a right-to-left override showed "Rack 1 \u202e2 kcaR" as
    "Rack 1 Rack 2" in the ranking and the exports, and "Rack\u00a0A" was a second location
    that looked the same. A value a device already has in this field (stored before the rule)
    is taken as it is, as a tag's name is: a device's form saved again, an export imported
    back; no query unless the value has such a character. Not a RegexValidator, which
    drf-spectacular would publish as the pattern the text must match: the reverse of the rule."""

    def __init__(self, field: str, lines: bool = False):
        self.field = field
        self.lines = lines
        self.found = re.compile(f"[{TEXT_CONTROL_CHARACTERS if lines else CONTROL_CHARACTERS}]")

    @property
    def message(self) -> str:
        return MSG_TEXT_CONTROL if self.lines else MSG_LINE_CONTROL

    def refused_among(self, values: Iterable) -> set[str]:
        """Those of `values` with such a character that no device has in this field: one
        query for them all (a CSV import's column), none when no value has one."""
        suspect = {str(value) for value in values if value and self.found.search(str(value))}
        # one with a NUL is asked of no database: no device holds one, and PostgreSQL refuses
        # it in a query too (an API edit's "Rack\x00A" was a 500 there, a 400 on SQLite)
        asked = {value for value in suspect if "\x00" not in value}
        if not asked:
            return suspect
        devices = apps.get_model("inventory", "Device").objects
        lookup = {f"{self.field}__in": asked}
        return suspect - set(devices.filter(**lookup).values_list(self.field, flat=True))

    def __call__(self, value) -> None:
        if self.refused_among([value]):
            raise ValidationError(self.message, "control")

    def __eq__(self, other) -> bool:
        return isinstance(other, NoInvisibleCharacters) and (other.field, other.lines) == (
            self.field,
            self.lines,
        )


# one DNS label (RFC 1123): letters, digits and inner hyphens, 63 at the most
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", re.IGNORECASE)


@deconstructible
class LinkURLValidator(URLValidator):
    """Django's URLValidator for http and https, which also takes a host named by a single
    label: Django's asks for a dot (or "localhost") in every host name."""

    def __init__(self, message=MSG_LINK_URL, **kwargs):
        super().__init__(schemes=("http", "https"), message=message, **kwargs)

    def __call__(self, value):
        try:
            super().__call__(value)
        except ValidationError:
            dotted = _single_label_dotted(value)
            if dotted is None:
                raise
            # everything else about the URL (scheme, port, path, length) checked by Django's
            super().__call__(dotted)


def _single_label_dotted(value) -> str | None:
    """The URL with its single-label host given a domain (nas → nas.lan); None when its host
    is not one label."""
    try:
        parts = urlsplit(str(value))
    except ValueError:
        return None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    if not _LABEL.match(host) or host.isdigit():  # http://1234/ is no name
        return None
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}.lan{colon}{port}"))


class LinkURLFormField(forms.URLField):
    default_validators = [LinkURLValidator()]
    default_error_messages = {"invalid": MSG_LINK_URL}

    def __init__(self, *, assume_scheme="https", **kwargs):
        # a URL typed without its scheme: https, as Django 6 will assume
        super().__init__(assume_scheme=assume_scheme, **kwargs)
