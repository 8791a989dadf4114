"""benchsite.clientip.client_address: DRF's rule for NUM_PROXIES, in one place."""

import pytest

from benchsite.clientip import ForwardedClientASGI, ForwardedClientWSGI, client_address
from benchsite.envconfig import networks


@pytest.mark.parametrize(
    ("forwarded_for", "num_proxies", "client"),
    [
        ("6.6.6.6", 0, "10.0.0.1"),  # no proxy declared: the header is the client's own words
        (None, 1, "10.0.0.1"),  # nothing forwarded: the peer
        ("", 1, "10.0.0.1"),
        ("192.0.2.1", 1, "192.0.2.1"),
        ("6.6.6.6, 192.0.2.1", 1, "192.0.2.1"),
        ("6.6.6.6, 192.0.2.1, 10.0.0.2", 2, "192.0.2.1"),
        ("192.0.2.1", 3, "192.0.2.1"),  # fewer entries than proxies: the leftmost
        ("6.6.6.6,  , ", 1, "10.0.0.1"),  # an empty entry names nobody
    ],
)
def test_client_address(forwarded_for, num_proxies, client):
    assert client_address("10.0.0.1", forwarded_for, num_proxies) == client


PROXY = "127.0.0.2"


@pytest.fixture
def behind_a_proxy(settings):
    """NUM_PROXIES=1 FORWARDED_ALLOW_IPS=127.0.0.2: the app port is reachable around the
    proxy too (HOST=0.0.0.0)."""
    settings.NUM_PROXIES = 1
    settings.FORWARDED_ALLOW_IPS = networks("FORWARDED_ALLOW_IPS", PROXY)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def through_wsgi(peer, forwarded_for):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    environ = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded_for}
    ForwardedClientWSGI(app)(environ, None)
    return seen


@pytest.mark.parametrize(("peer", "client"), [(PROXY, "10.1.1.1"), ("127.0.0.1", "127.0.0.1")])
def test_only_the_proxies_say_who_the_client_is(behind_a_proxy, peer, client):
    """A client that went round the proxy chose its own address (a new one for each guess of a
    token, out of the failed-authentication budget, or a fleet machine's, to lock it out)."""
    from rest_framework.test import APIRequestFactory
    from rest_framework.throttling import BaseThrottle

    environ = through_wsgi(peer, "10.1.1.1")
    assert environ["REMOTE_ADDR"] == client

    request = APIRequestFactory().get("/api/devices")
    request.META = {**environ}  # what DRF's throttles read: the header too
    assert BaseThrottle().get_ident(request) == client


@pytest.mark.parametrize(("peer", "client"), [(PROXY, "10.1.1.1"), ("127.0.0.1", "127.0.0.1")])
def test_only_the_proxies_say_who_the_client_is_under_asgi(behind_a_proxy, peer, client):
    import asyncio

    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    scope = {"type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", b"10.1.1.1")]}
    asyncio.run(ForwardedClientASGI(app)(scope, None, None))
    assert seen["client"][0] == client
    # around the proxy: the header is not passed on (Django's META is built from the scope)
    assert seen["headers"] == ([(b"x-forwarded-for", b"10.1.1.1")] if peer == PROXY else [])


@pytest.mark.django_db
@pytest.mark.parametrize(("peer", "secure"), [(PROXY, True), ("127.0.0.1", False)])
def test_only_the_proxies_say_a_request_came_over_https(behind_a_proxy, settings, peer, secure):
    """SECURE_PROXY_SSL_HEADER=true behind a proxy: a client reaching the app's port around it
    said X-Forwarded-Proto: https and was served over plain HTTP as if over HTTPS (no
    redirect, HSTS and a Secure cookie sent over HTTP)."""
    import io

    from django.core.handlers.wsgi import WSGIHandler

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/stats",
        "SERVER_NAME": "bench.lan",
        "SERVER_PORT": "80",
        "HTTP_HOST": "bench.lan",
        "REMOTE_ADDR": peer,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "10.1.1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    status = []
    ForwardedClientWSGI(WSGIHandler())(environ, lambda s, headers, *e: status.append(s))
    assert status[0].startswith("301") is not secure  # HTTPS: the API's own 401


@pytest.mark.parametrize(("peer", "passed"), [(PROXY, True), ("127.0.0.1", False)])
def test_only_the_proxies_say_the_scheme_under_asgi(behind_a_proxy, peer, passed):
    import asyncio

    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    headers = [(b"x-forwarded-proto", b"https"), (b"accept", b"*/*")]
    scope = {"type": "http", "client": (peer, 5000), "headers": headers}
    asyncio.run(ForwardedClientASGI(app)(scope, None, None))
    assert seen["headers"] == (headers if passed else [(b"accept", b"*/*")])
    # as gunicorn's gthread takes it from a proxy (uvicorn, which did, trusts none)
    assert seen.get("scheme") == ("https" if passed else None)


@pytest.mark.parametrize(
    ("headers", "scheme"),
    [
        ([(b"x-forwarded-proto", b"https")], "https"),
        ([(b"x-forwarded-proto", b"HTTPS")], "http"),  # gunicorn compares the value exactly
        ([(b"x-forwarded-ssl", b"on")], "https"),
        ([(b"x-forwarded-protocol", b"ssl")], "https"),
        ([(b"x-forwarded-proto", b"http")], "http"),
        ([], None),
        # two that disagree: gunicorn's 400, not the last one's word
        ([(b"x-forwarded-proto", b"http"), (b"x-forwarded-proto", b"https")], 400),
        ([(b"x-forwarded-proto", b"https"), (b"x-forwarded-ssl", b"off")], 400),
    ],
)
def test_a_proxys_scheme_is_read_under_asgi_as_gunicorn_reads_it(behind_a_proxy, headers, scheme):
    import asyncio

    seen, sent = {}, []

    async def app(scope, receive, send):
        seen.update(scope)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "client": (PROXY, 5000), "headers": headers}
    asyncio.run(ForwardedClientASGI(app)(scope, None, send))
    if scheme == 400:
        assert not seen and sent[0]["status"] == 400
    else:
        assert seen.get("scheme") == scheme and not sent


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("*", None),
        ("10.0.0.5", ("10.0.0.5/32",)),
        (" 10.0.0.5, 172.18.0.0/16 ", ("10.0.0.5/32", "172.18.0.0/16")),
    ],
)
def test_forwarded_allow_ips_takes_addresses_and_networks(value, allowed):
    parsed = networks("FORWARDED_ALLOW_IPS", value)
    assert parsed is None if allowed is None else [str(n) for n in parsed] == list(allowed)


@pytest.mark.parametrize("value", ["proxy.lan", "10.0.0.5/24"])  # gunicorn refuses both too
def test_a_forwarded_allow_ips_that_does_not_parse_names_the_variable(value):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=f"FORWARDED_ALLOW_IPS='{value}'"):
        networks("FORWARDED_ALLOW_IPS", value)
