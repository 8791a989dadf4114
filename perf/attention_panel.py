"""The dashboard's first screen with 0, 3, 30 and 100 open attention items: where the
ranking starts, whether every critical item is in sight, the dashboard's queries and KB.

    .venv/bin/python perf/attention_panel.py --port 18220 [--items 0,3,30,100] [--shots DIR]

Stores an office (perf/office.py's 300 machines of 12 CPU models, 6 monthly runs, 10 gone
quiet) through the real ingest and its attention evaluation, with more machines far below
their twins, fallen against their past and running hot than office.py's, so that over 100
items are open: failing and degrading disks (critical), hot disks, regressions and machines
below their peers (warnings). For each count asked, the items past it are closed (the
warnings first, then the critical, a mix of every kind kept), the dashboard is requested in
this process (queries, KB), then served by gunicorn on 127.0.0.1:PORT and opened in Chromium
at 1366×768, 1920×1080 and 390×844 (a phone): the panel's height, the ranking's first row's
top, how many critical machines are named in the first screen, a screenshot each in DIR.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf import office
from perf.common import in_process_env

TOKEN = "perf-panel-token-0123456789"  # noqa: S105 (a throwaway database)
SIZES = ((1366, 768), (1920, 1080), (390, 844))
CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "perf", "perf-password"  # noqa: S105 (a throwaway database)


def build(where: Path, months: int) -> None:
    """The office with over 100 open items, in where/office.db."""
    office.BELOW = range(5, 300, 7)  # 43 machines at half their twins' scores
    office.REGRESSED = range(191, 300, 4)  # 28 machines whose CPU fell by 30 %
    office.HOT = range(100, 300, 11)  # 19 hot disks
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_superuser(USER, "perf@example.com", PASSWORD)
    office.generate(300, months)
    office.places(300, get_user_model().objects.get(username=USER))


def keep_open(count: int) -> None:
    """Close the open items past `count`, the warnings first, keeping each kind's newest."""
    from django.db.models import Case, IntegerField, When
    from django.utils import timezone

    from insights.models import AttentionItem

    open_items = AttentionItem.objects.filter(closed_at__isnull=True)
    ids = list(
        open_items.annotate(
            critical=Case(When(severity="critical", then=0), default=1, output_field=IntegerField())
        )
        .order_by("critical", "id")
        .values_list("id", "kind")
    )
    # round robin over the kinds, critical kinds first: a mix whatever the count
    by_kind: dict[str, list[int]] = {}
    for pk, kind in ids:
        by_kind.setdefault(kind, []).append(pk)
    kept: list[int] = []
    while len(kept) < count and any(by_kind.values()):
        for pks in by_kind.values():
            if pks and len(kept) < count:
                kept.append(pks.pop(0))
    open_items.exclude(pk__in=kept).update(closed_at=timezone.now(), closed_by=USER)


def in_process(path: str) -> tuple[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.login(username=USER, password=PASSWORD)
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), len(response.content)


def serve(env: dict, port: int, workdir: Path) -> subprocess.Popen:
    root = Path(__file__).resolve().parent.parent
    server_env = {
        **os.environ,
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "",
        "CACHE_URL": f"filecache://{workdir / 'cache'}",
    }
    process = subprocess.Popen(  # noqa: S603 (this interpreter, our gunicorn config)
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket"],
        cwd=root,
        env=server_env,
        stdout=(workdir / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    process.wait(timeout=20)
    raise SystemExit("the server did not start:\n" + (workdir / "server.log").read_text())


FIRST_SCREEN = """() => {
    const panel = document.querySelector('#attention');
    const row = document.querySelector('#ranking tbody tr');
    const seen = el => { const r = el.getBoundingClientRect();
        return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight; };
    const critical = [...document.querySelectorAll('#attention [data-severity=critical], '
        + '#attention li.bt-attention-critical')];
    return {
        panel: panel ? Math.round(panel.getBoundingClientRect().height) : 0,
        ranking: row ? Math.round(row.getBoundingClientRect().top) : null,
        rows: [...document.querySelectorAll('#ranking tbody tr')].filter(seen).length,
        critical: critical.length,
        critical_seen: critical.filter(seen).length,
        wide: document.documentElement.scrollWidth,
    };
}"""


def shoot(url: str, count: int, shots: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width, height in SIZES:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{url}/admin/login/?next=/admin/")
            page.fill("#id_username", USER)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(f"{url}/admin/")
            seen = page.evaluate(FIRST_SCREEN)
            page.screenshot(path=str(shots / f"panel-{count}-{width}.png"))
            print(
                f"{count:>5} {width:>5}×{height:<5} {seen['panel']:>8} {seen['ranking']!s:>8}"
                f" {seen['rows']:>5} {seen['critical_seen']:>4}/{seen['critical']:<4}"
                f" {seen['wide']:>6}",
                flush=True,
            )
            context.close()
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="127.0.0.1:PORT for gunicorn")
    parser.add_argument("--items", default="100,30,3,0")
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--shots", default=".screenshots")
    parser.add_argument("--keep", help="a directory to keep (and reuse) the office's database")
    args = parser.parse_args()
    counts = [int(n) for n in args.items.split(",")]
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="perf-panel-")
    where = Path(args.keep or tmp.name)
    where.mkdir(parents=True, exist_ok=True)
    built = where / "office.db"
    env = {**in_process_env(tmp.name, "panel", TOKEN), "NOTIFY_URLS": ""}
    os.makedirs(env["STATIC_ROOT"], exist_ok=True)
    if not built.exists():
        code = (
            "from perf.common import django_setup; django_setup(); "
            "from perf.attention_panel import build; build(Path(sys.argv[1]), int(sys.argv[2]))"
        )
        subprocess.run(  # noqa: S603 (this interpreter, this script)
            [sys.executable, "-c", f"import sys; from pathlib import Path; {code}"]
            + [str(where), str(args.months)],
            env={**os.environ, **env, "DATABASE_URL": f"sqlite:///{built}"},
            cwd=Path(__file__).resolve().parent.parent,
            check=True,
        )
    database = Path(tmp.name) / "panel.db"
    env["DATABASE_URL"] = f"sqlite:///{database}"
    from perf.common import django_setup

    django_setup(**env)
    print(f"{'items':>5} {'window':<11} {'panel px':>8} {'ranking':>8} {'rows':>5} critical  wide")
    for count in counts:
        from django.db import connections

        connections.close_all()
        source, copy = sqlite3.connect(built), sqlite3.connect(database)
        source.backup(copy)  # the WAL's pages too
        source.close()
        copy.close()
        keep_open(count)
        queries, size = in_process("/admin/")
        print(f"{count:>5} dashboard: {queries} queries, {size / 1024:.0f} KB", flush=True)
        connections.close_all()
        server = serve(env, args.port, Path(tmp.name))
        try:
            shoot(f"http://127.0.0.1:{args.port}", count, shots)
        finally:
            server.terminate()
            server.wait(timeout=20)
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
