"""The client's address, decided once per request from NUM_PROXIES, the way DRF decides it.

NUM_PROXIES=0 (the default): the address of the peer that connected, whatever X-Forwarded-For says,
so a client cannot choose its address. NUM_PROXIES=N: the address N entries from the right of
X-Forwarded-For, the one the outermost of the N proxies saw connect (entries further left are
whatever the client sent), for a request from a peer in FORWARDED_ALLOW_IPS (any by default): from
another peer, the header is dropped and the peer is the client, and so is its X-Forwarded-Proto
(with SECURE_PROXY_SSL_HEADER, Django would take it for HTTPS: no redirect, Secure cookies).
DRF's throttles read REST_FRAMEWORK["NUM_PROXIES"], set from the same variable; the wrappers
below write the result into REMOTE_ADDR (WSGI) and the scope's client (ASGI), so Django, the app's
logs and the app server's access log all show that one address.

The app servers must not pick an address themselves: gunicorn.conf.py empties `forwarded_allow_ips`
(gunicorn and uvicorn trust X-Forwarded-For from 127.0.0.1 by default) unless NUM_PROXIES is set,
and always for uvicorn's worker: uvicorn read the headers before the app, replaced the peer's
address with an entry the client wrote (a client on the proxy's own host chose its address),
and the app then took that for a peer that is no proxy. Its scheme is set here instead.
"""

import ipaddress

from django.conf import settings


def client_address(peer: str | None, forwarded_for: str | None, num_proxies: int) -> str | None:
    """`peer` when `num_proxies` is 0 or nothing was forwarded; else the entry `num_proxies`
    from the right of `forwarded_for` (the leftmost when there are fewer)."""
    if not num_proxies or not forwarded_for:
        return peer
    entries = forwarded_for.split(",")
    return entries[-min(num_proxies, len(entries))].strip() or peer


def from_a_proxy(peer: str | None, allowed) -> bool:
    """Whether the peer that connected is one of the proxies (FORWARDED_ALLOW_IPS: networks,
    None for any): a client that reaches the app's port around them (HOST=0.0.0.0) sends an
    X-Forwarded-For of its own choosing."""
    if allowed is None:
        return True
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return any(address in network for network in allowed)


# what only a proxy may say: the client's address, the scheme it came over
_FROM_PROXIES_ONLY = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")
_FROM_PROXIES_ONLY_ASGI = (b"x-forwarded-for", b"x-forwarded-proto")
# what gunicorn reads a proxy's scheme from (its secure_scheme_headers), each value exact
SECURE_SCHEME_HEADERS = {
    b"x-forwarded-protocol": b"ssl",
    b"x-forwarded-proto": b"https",
    b"x-forwarded-ssl": b"on",
}


async def _contradictory(send) -> None:
    body = b"Contradictory scheme headers"
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ForwardedClientWSGI:
    """Sets REMOTE_ADDR to the client's address behind NUM_PROXIES proxies. gunicorn's access
    log reads the same environ, so it logs that address too."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        num_proxies = settings.NUM_PROXIES
        peer = environ.get("REMOTE_ADDR")
        if num_proxies and not from_a_proxy(peer, settings.FORWARDED_ALLOW_IPS):
            # its own words: DRF's throttles, which read the header too, must not hear them,
            # nor Django's SECURE_PROXY_SSL_HEADER its claim to have come over HTTPS
            for name in _FROM_PROXIES_ONLY:
                environ.pop(name, None)
        elif num_proxies:
            environ["REMOTE_ADDR"] = client_address(
                peer, environ.get("HTTP_X_FORWARDED_FOR"), num_proxies
            )
        return self.app(environ, start_response)


class ForwardedClientASGI:
    """The same for ASGI: the scope's client, which uvicorn's access log reads back."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        num_proxies = settings.NUM_PROXIES
        if num_proxies and scope["type"] == "http":
            peer, port = scope.get("client") or (None, 0)
            if not from_a_proxy(peer, settings.FORWARDED_ALLOW_IPS):
                headers = [(k, v) for k, v in scope["headers"] if k not in _FROM_PROXIES_ONLY_ASGI]
                return await self.app({**scope, "headers": headers}, receive, send)
            forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
            address = client_address(peer, forwarded.decode("latin-1"), num_proxies)
            if address is not None:
                # in place: uvicorn logs the dict it passed, as its own proxy middleware relies on
                scope["client"] = (address, port)
            # the scheme the proxy was reached over, as gunicorn's gthread takes it from them
            # (uvicorn, which read it itself, is told to trust no one: gunicorn.conf.py)
            schemes = {
                "https" if value == SECURE_SCHEME_HEADERS[name] else "http"
                for name, value in scope["headers"]
                if name in SECURE_SCHEME_HEADERS
            }
            if len(schemes) > 1:  # gunicorn's 400 too: which one the proxy meant is not told
                return await _contradictory(send)
            if schemes:
                scope["scheme"] = schemes.pop()
        return await self.app(scope, receive, send)
