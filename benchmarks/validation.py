"""Validation of a submission against inventory.schema, with the contract's error body.

pydantic checks the declared fields (measured against the alternatives in README
"Performance"); a walk over the whole document checks what must hold for the keys the schema
does not know too, since they are stored as sent: PostgreSQL refuses NUL characters and unpaired
surrogates in text and jsonb, NaN and Infinity are not JSON, and very deep nesting is a
denial-of-service shape. Errors name each offending field by its path, nested like DRF's:
{"results": {"cpu": {"score": ["..."]}}}, list items by their index.
"""

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError as SchemaError
from rest_framework.exceptions import ValidationError

from inventory.schema import Submission

MAX_DEPTH = 32

MSG_NOT_OBJECT = "A submission is a JSON object."
MSG_REQUIRED = "This field is required."
MSG_NUL = "Strings may not contain NUL characters."
MSG_SURROGATE = "Strings may not contain unpaired surrogate characters."
MSG_NOT_FINITE = "Must be a finite number (NaN and Infinity are not JSON numbers)."
MSG_TOO_DEEP = f"Nested deeper than {MAX_DEPTH} levels."
# pydantic's wording where the contract's reader expects another
MSG_NOT_AN_OBJECT = "Must be a JSON object."
_MESSAGES = {
    "missing": MSG_REQUIRED,
    "finite_number": MSG_NOT_FINITE,
    "string_pattern_mismatch": "Control or invisible characters (a zero-width space…) are not "
    "allowed.",
    # pydantic names the schema's class ("… a valid dictionary or instance of Hardware")
    "model_type": MSG_NOT_AN_OBJECT,
    "model_attributes_type": MSG_NOT_AN_OBJECT,
    "dict_type": MSG_NOT_AN_OBJECT,
    "list_type": "Must be a JSON array.",
}


def submission_validate(document: Any) -> Submission:
    """The submission as typed data; raises DRF's ValidationError (a 400) naming each field."""
    if not isinstance(document, Mapping):
        raise ValidationError({"non_field_errors": [MSG_NOT_OBJECT]})
    if problems := document_problems(document):
        raise ValidationError(problems)
    try:
        return Submission.model_validate(document)
    except SchemaError as exc:
        raise ValidationError(errors_by_path(exc)) from None


def errors_by_path(exc: SchemaError) -> dict[str, Any]:
    """pydantic's flat error list as the contract's nested body, every offending field named."""
    body: dict[str, Any] = {}
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        path = [str(part) for part in error["loc"]] or ["non_field_errors"]
        node = body
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):  # the parent itself is already named as wrong
                break
            node = child
        else:
            node.setdefault(path[-1], [])
            if isinstance(node[path[-1]], list):
                node[path[-1]].append(_MESSAGES.get(error["type"], error["msg"]))
    return body


def document_problems(document: Any) -> dict[str, Any]:
    """The first problem anywhere in the raw document, unknown keys included, as an error body.

    Nearly every document has none: one pass of the C JSON encoder and a walk over its objects
    and lists (not its hundreds of strings) tell, and only a document that fails them is walked
    string by string to name the field.
    """
    if _deeper_than(document, MAX_DEPTH) or not _storable(document):
        return _locate_problem(document)
    return {}


def _storable(document: Any) -> bool:
    """No NaN or Infinity, no unpaired surrogate, no NUL (which the encoder writes \\u0000)."""
    try:
        text = json.dumps(document, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return False
    return "\\u0000" not in text


def _deeper_than(document: Any, limit: int) -> bool:
    # parsed JSON: dicts and lists only (exact types: an ABC check per value costs more)
    stack = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def _locate_problem(document: Any) -> dict[str, Any]:
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return _nested_error(path[: MAX_DEPTH + 1], MSG_TOO_DEEP)
        if isinstance(value, str):
            if problem := _string_problem(value):
                return _nested_error(path, problem)
        elif isinstance(value, float):
            if not math.isfinite(value):
                return _nested_error(path, MSG_NOT_FINITE)
        elif isinstance(value, Mapping):
            for key, child in value.items():
                if problem := _string_problem(key):
                    return _nested_error((*path, _printable(key)), problem)
                stack.append((child, (*path, key)))
        elif isinstance(value, list):
            stack.extend((child, (*path, str(index))) for index, child in enumerate(value))
    return {}


def _string_problem(value: str) -> str | None:
    if "\x00" in value:
        return MSG_NUL
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return MSG_SURROGATE
    return None


def _printable(key: str) -> str:
    return key.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def _nested_error(path: tuple[str, ...], message: str) -> dict[str, Any]:
    error: Any = [message]
    for key in reversed(path or ("non_field_errors",)):
        error = {key: error}
    return error
