"""What a server process does once its application is loaded (gunicorn.conf.py: the master
before it forks its workers, when_ready, and each worker, post_worker_init; perf/ scripts that
measure in one process do the same)."""

import gc


def freeze_loaded_objects() -> None:
    """Move what is loaded now (Django, the apps and their modules, the URLconf and the views
    it imports) out of the garbage collector's generations. It lives as long as the process;
    frozen, it is no longer rescanned by each full collection, which a request allocating
    many objects triggers: a read of 10,000 rows (the insights of a CPU model shared by the
    whole fleet) paused up to 70 ms for one (perf/reads.py: max 143 ms against 74 ms frozen)."""
    from django.apps import apps

    if apps.ready:  # a Django application (perf/raw_asgi.py shares the gunicorn settings)
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (imports the URLconf and its views now)
    gc.collect()
    gc.freeze()
