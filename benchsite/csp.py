"""The Content-Security-Policy of every answer that does not set its own (a document's
download sets a stricter one: documents.http).

What the admin shows comes from the machines: a hostname, a disk's model, any text a token
may submit. Django escapes all of it; the policy is the second line should a page ever
forget to: no script but the server's own files (none inline, none from another host), no
plug-in, no form sent elsewhere, no page framing this one. Styles may be inline: the admin's
charts and bars size themselves with `style` attributes, which run no script.

With DEBUG on, Django's error page (a traceback for the developer, whose toggles are inline
scripts) is sent without it: under it both of the page's tracebacks showed and none folded."""

from django.conf import settings

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code >= 500:
            return response
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
