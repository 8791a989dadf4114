"""drf-spectacular extensions: the Bearer scheme and the contract's slash-less paths."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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


def strip_trailing_slash(result, generator, request, public):
    """The router accepts both /api/devices and /api/devices/; the contract names the first."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result["paths"].items()
    }
    return result
