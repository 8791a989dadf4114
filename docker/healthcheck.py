"""Docker HEALTHCHECK: exit 0 when GET /api/health answers 200, else 1 (urllib: no curl in the
image). Asks 127.0.0.1:$PORT under the first name of ALLOWED_HOSTS, so a server restricted to
its public name still counts its own probe as valid; /api/health is exempt from the HTTPS
redirect (SECURE_REDIRECT_EXEMPT)."""

import os
import sys
import urllib.error
import urllib.request


def probe_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    url = f"http://127.0.0.1:{(os.environ.get('PORT') or '').strip() or '8007'}/api/health"
    request = urllib.request.Request(url, headers={"Host": probe_host()})
    # no proxy: HTTP_PROXY in the container's environment must not catch a loopback probe
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(
            request, timeout=float((os.environ.get("HEALTHCHECK_TIMEOUT") or "").strip() or "4")
        ) as r:
            status = r.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
