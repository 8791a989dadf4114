"""GET /api/health answered whatever the request's Host: a load balancer or a monitor probes a
server by its address (`http://10.0.0.5:8007/api/health`), which ALLOWED_HOSTS, set to the
name people use, refused with a 400 before any view, so the probe took a healthy server for a
dead one. Answered here, ahead of the middleware that checks the Host (CommonMiddleware), by
the same view (benchsite.views.HealthView), which builds no URL from the Host."""

import logging
import re
import threading
import time

from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

HEALTH_PATH = re.compile(r"^/api/health/?$")
REPEAT_S = 300  # a problem that lasts is said again this often, by each worker


class Problems:
    """What the health check finds wrong, logged when it starts, again every REPEAT_S while it
    lasts, and once when it is over. A load balancer probing every 5 s wrote an ERROR line a
    probe (720 an hour of a database outage, per worker), which buried what else the log said.
    Per process: each worker says an outage once."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._since: dict[str, float] = {}
        self._said: dict[str, float] = {}

    def found(self, problem: str, message: str, *args) -> None:
        now = self.clock()
        with self._lock:
            since = self._since.setdefault(problem, now)
            if problem in self._said and now - self._said[problem] < REPEAT_S:
                return
            self._said[problem] = now
        if since == now:
            logger.error(f"health check: {message}", *args)
        else:
            logger.error(f"health check: {message} (for %d s now)", *args, now - since)

    def over(self, *problems: str) -> None:
        now = self.clock()
        for problem in problems:
            with self._lock:
                since = self._since.pop(problem, None)
                self._said.pop(problem, None)
            if since is not None:
                logger.warning("health check: %s: over after %d s", problem, now - since)

    def clear(self) -> None:
        with self._lock:
            self._since.clear()
            self._said.clear()


PROBLEMS = Problems()


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def view(self):
        from .views import HealthView

        return HealthView.as_view()

    def __call__(self, request):
        if not HEALTH_PATH.match(request.path_info):
            return self.get_response(request)
        response = self.view(request)
        return response.render() if hasattr(response, "render") else response
