"""drf-spectacular extensions: the Bearer scheme, the contract's slash-less paths, and the error
answers of every operation.

BearerTokenScheme is registered when this module is imported, which whatever generates the
schema does before it reads any view: REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] names AutoSchema
below, so the /api/schema/ view, `manage.py spectacular` and the URLconf's extend_schema
decorators import it. Not at django.setup(): drf-spectacular's generator (with DRF's test
client and Django's test utilities) costs a process 0.1 s of CPU, which manage.py commands that
never load the URLconf (shell, collectstatic) no longer pay (perf/startup.py).
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from rest_framework.negotiation import DefaultContentNegotiation

from inventory.filters import any_case_pattern


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "benchsite.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "API_TOKEN or an ApiToken issued in the admin "
            "(scopes: submit, read, write). `Token <token>` is accepted too.",
        }


class AnyCaseChoices(OpenApiSerializerFieldExtension):
    """A choice the server takes in any case (`/api/attention?state=ALL`): its words as a
    pattern, as the device list's `?retired=` and `?disks=` are described (an enum of the
    lowercase words had a client made from the document refuse what the server takes)."""

    target_class = "insights.serializers.AnyCaseChoiceField"

    def map_serializer_field(self, auto_schema, direction):
        # the empty value a query may give (`?state=`, taken for none) is the field's blank,
        # which drf-spectacular adds beside the pattern (oneOf), as it left out its minLength
        return {"type": "string", "pattern": any_case_pattern(self.target.choices)}


def strip_trailing_slash(result, generator, request, public):
    """The router accepts both /api/devices and /api/devices/; the contract names the first."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result["paths"].items()
    }
    return result


_ERROR_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": True,
        }
    }
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
_ERRORS = {
    # status: (when it applies, description, headers)
    "400": ("input", "Invalid input: the body names each offending field.", None),
    "401": ("auth", "Missing or invalid token.", None),
    "403": ("auth", "The token lacks the scope.", None),
    "404": ("lookup", "No such object (or no such page).", None),
    "406": ("accept", "No type the endpoint answers in is acceptable (Accept, ?format=).", None),
    "413": ("body", "Body over the size limit.", None),
    "415": ("body", "Unsupported media type, or a body sent with a Content-Encoding.", None),
    "429": ("auth", "Too many failed authentications from this address.", _RETRY_AFTER),
    "503": (
        "always",
        "The database is unavailable, or the server's disk is full (a write is not stored).",
        _RETRY_AFTER,
    ),
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus the error answers every API view can give, so that each
    response the server sends is described (schemathesis checks it: benchsite/tests/
    test_api_answers_match_the_schema.py). An answer a view declares itself keeps its
    description; an error one declared without a body gets the JSON body every error has."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            # a blank allowed beside a pattern is a oneOf of the two (drf-spectacular), which took
            # the default into its first branch (?state=): a generated client saw none
            schema = parameter.get("schema", {})
            if "default" in (schema.get("oneOf") or [{}])[0]:
                schema["default"] = schema["oneOf"][0].pop("default")
        applies = {
            "auth": any(operation.get("security", [])),
            "body": "requestBody" in operation,
            "input": "requestBody" in operation or any(p.get("in") == "query" for p in parameters),
            "lookup": any(p.get("in") == "path" for p in parameters)
            or any(p.get("name") == "page" for p in parameters),
            # a view whose negotiation picks its renderer itself answers whatever Accept says
            "accept": type(self.view.get_content_negotiator()).select_renderer
            is DefaultContentNegotiation.select_renderer,
            "always": True,
        }
        responses = operation.setdefault("responses", {})
        for status, (condition, description, headers) in _ERRORS.items():
            if applies[condition] and status not in responses:
                responses[status] = {"description": description, "content": _ERROR_BODY}
            if headers and status in responses:  # a view's own 503 (the health check's) too
                responses[status].setdefault("headers", headers)
        for status, response in responses.items():
            # every error is a JSON body (benchsite.exceptions); a view's own description of one
            # (the submission's 400, /api/compare's 404) said nothing of it, so a generated
            # client read those bodies as empty or undescribed
            if str(status)[0] in "45":
                response.setdefault("content", _ERROR_BODY)
        return operation
