"""--schedule daily|weekly|monthly: after a run the server stored, the machine runs bench.sh on
its own, by a systemd timer where systemd runs, else a cron job, with the run's options and the
token in a file only root reads; --unschedule removes it all. Before it, keeping a machine
benchmarked took three commands by hand (README, "From cron, unattended"), and a fleet's
*Not heard from* panel filled with machines nobody had scheduled.

Every path bench.sh writes is under BENCH_TEST_ROOT here (it stands for /), and systemctl is
given --root: the real systemctl enables the timer in that tree; the job written is then run
as cron or systemd would run it, against the stand-in server."""

import json
import os
import re
import stat
import subprocess

import pytest

from .benchrun import SCRIPT, bench_functions, run_bench
from .test_submit import TOKEN, server  # noqa: F401 (the fake server, a fixture)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="--schedule needs root")

NOTHING_MEASURED = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")
SHORT_LOOK = {"BENCH_TEST_BUSY_WINDOW_S": "0.2"}  # a 0.2 s look at how busy the machine is
RUN = ("--short", "--no-wait-idle", "--retries", "0", "--device", "sched-box", *NOTHING_MEASURED)


def machine_root(tmp_path, scheduler: str, *, logrotate: bool = False):
    """A tree standing for /, with systemd running or cron installed (a stand-in `cron` on PATH:
    only whether it is installed is read), and logrotate's /etc/logrotate.d if `logrotate`."""
    root = tmp_path / "root"
    env = {**os.environ, "BENCH_TEST_ROOT": str(root), **SHORT_LOOK}
    if scheduler == "systemd":
        (root / "run/systemd/system").mkdir(parents=True)
    elif scheduler == "cron":
        (root / "etc/cron.d").mkdir(parents=True)
        (root / "var/log").mkdir(parents=True)
        bindir = tmp_path / "bin"
        bindir.mkdir()
        (bindir / "cron").write_text("#!/bin/sh\nexit 0\n")
        (bindir / "cron").chmod(0o755)
        env["PATH"] = f"{bindir}:{env['PATH']}"
    if logrotate:
        (root / "etc/logrotate.d").mkdir(parents=True)
    return root, env


def schedule(server_url: str, tmp_path, env, *extra: str):
    """A run of nothing but the inventory, scheduled weekly (or as `extra` says)."""
    args = ("--server", server_url, "--token", TOKEN, *RUN, "--schedule", "weekly", *extra)
    return run_bench(*args, env=env, cwd=tmp_path)


def started(command: list[str], env: dict, cwd, stdin=None) -> subprocess.CompletedProcess:
    """`command` run as a scheduler (or a pipe) starts it: in `env` alone, its output kept."""
    return subprocess.run(
        command, stdin=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def night_time() -> tuple[int, int]:
    proc = bench_functions("schedule_time")
    minute, hour = map(int, proc.stdout.split())
    return minute, hour


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_weekly_cron_job_runs_bench_sh_again_with_the_runs_options(server, tmp_path):  # noqa: F811
    root, env = machine_root(tmp_path, "cron", logrotate=True)

    proc = schedule(server.url, tmp_path, env)

    assert proc.returncode == 0, proc.stderr[-2000:]
    minute, hour = night_time()
    assert 1 <= hour <= 5 and 0 <= minute < 60
    said = f"scheduled: bench.sh runs every Sunday at {hour:02d}:{minute:02d} (cron: "
    assert said in proc.stderr
    assert len(server.requests) == 1  # this run, stored before anything was scheduled
    # the script, the token (root's alone, never on a command line) and the command
    assert (root / "usr/local/sbin/bench.sh").read_bytes() == SCRIPT.read_bytes()
    assert mode(root / "usr/local/sbin/bench.sh") == 0o755
    token = root / "etc/benchtools/token"
    assert token.read_text() == f"{TOKEN}\n"
    assert mode(token) == 0o600 and mode(token.parent) == 0o700
    command = (root / "usr/local/sbin/bench-run").read_text()
    assert TOKEN not in command and "--dry-run" not in command
    for option in ("--device sched-box", "--short", "--no-wait-idle", "--retries 0", *RUN[-5:]):
        assert option in command
    assert "--wait-idle-max " not in command  # this run's --no-wait-idle, kept
    # one line for cron.d: minute, hour, every Sunday, as root
    job = root / "etc/cron.d/benchtools-bench"
    assert mode(job) == 0o644
    lines = [line for line in job.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == 1
    cron = re.fullmatch(r"(\d+) (\d+) \* \* 0 root (.+)", lines[0])
    assert cron and (int(cron[1]), int(cron[2])) == (minute, hour), lines

    # the copy kept here is stale: the job runs the server's bench.sh, and keeps it
    (root / "usr/local/sbin/bench.sh").write_text("#!/bin/bash\nexit 42\n")

    # as cron runs it: its own small environment, through sh
    job_run = started(
        ["/bin/sh", "-c", cron[3]],
        {"PATH": "/usr/bin:/bin", "HOME": "/root", **SHORT_LOOK},
        tmp_path,
    )

    assert job_run.returncode == 0, (root / "var/log/benchtools-bench.log").read_text()[-2000:]
    assert len(server.requests) == 2
    assert server.requests[1]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    first, scheduled = (json.loads(r["body"]) for r in server.requests)
    assert scheduled["device_identifier"] == "sched-box"
    # a run of the schedule says so (an extension of the conditions); the run by hand does not
    assert scheduled["results"]["conditions"]["scheduled"] == "weekly"
    assert first["results"]["conditions"]["scheduled"] is None
    log = root / "var/log/benchtools-bench.log"
    assert "submitted: global score" in log.read_text()
    assert (root / "usr/local/sbin/bench.sh").read_bytes() == SCRIPT.read_bytes()

    # the job's log is logrotate's to keep: Debian's logrotate, forced, rotates it by the file
    # bench.sh wrote (a year of months, the newest left uncompressed)
    rotation = root / "etc/logrotate.d/benchtools-bench"
    assert mode(rotation) == 0o644
    said = log.read_text()
    rotated = started(
        ["logrotate", "--force", "--state", str(tmp_path / "logrotate.state"), str(rotation)],
        env,
        tmp_path,
    )
    assert rotated.returncode == 0, rotated.stderr
    assert not log.exists() and (root / "var/log/benchtools-bench.log.1").read_text() == said

    gone = run_bench("--unschedule", env=env, cwd=tmp_path)
    assert gone.returncode == 0, gone.stderr[-2000:]
    assert "/etc/cron.d/benchtools-bench /etc/logrotate.d/benchtools-bench" in gone.stderr
    assert not job.exists() and not rotation.exists()


def test_piped_from_the_server_a_daily_timer_is_enabled_and_unschedule_removes_it(
    server,  # noqa: F811
    tmp_path,
):
    root, env = machine_root(tmp_path, "systemd")
    # as the dashboard's one-liner runs it: the script on bash's standard input, no file
    with SCRIPT.open("rb") as script:
        # (without --no-wait-idle: nothing measured, nothing waited for)
        run = [arg for arg in RUN if arg != "--no-wait-idle"]
        args = ["--server", server.url, "--token", TOKEN, *run, "--schedule", "daily"]
        proc = started(["bash", "-s", "--", *args], env, tmp_path, stdin=script)

    assert proc.returncode == 0, proc.stderr[-2000:]
    minute, hour = night_time()  # the same machine: the same time, whatever the scheduler
    said = f"scheduled: bench.sh runs every day at {hour:02d}:{minute:02d} (systemd timer"
    assert said in proc.stderr
    # the server's /bench.sh was installed, there being no file to copy
    assert (root / "usr/local/sbin/bench.sh").read_bytes() == SCRIPT.read_bytes()
    units = root / "etc/systemd/system"
    timer = (units / "benchtools-bench.timer").read_text()
    calendar = re.search(r"^OnCalendar=(.+)$", timer, re.M)[1]
    assert calendar == f"*-*-* {hour:02d}:{minute:02d}:00" and "Persistent=true" in timer
    # systemd reads it as a time of every day
    analyzed = subprocess.run(
        ["systemd-analyze", "calendar", calendar], capture_output=True, text=True, check=False
    )
    assert analyzed.returncode == 0, analyzed.stderr
    assert f"Normalized form: *-*-* {hour:02d}:{minute:02d}:00" in analyzed.stdout
    # systemd's own reading of both units: no error, no warning
    verified = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            units / "benchtools-bench.service",
            units / "benchtools-bench.timer",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verified.returncode, verified.stderr) == (0, "")
    # nobody waits for a scheduled run: it waits out a nightly job, up to 10 min
    assert "--wait-idle-max 600" in (root / "usr/local/sbin/bench-run").read_text()
    service = (units / "benchtools-bench.service").read_text()
    assert f"ExecStart={root}/usr/local/sbin/bench-run" in service
    assert "Type=oneshot" in service
    enabled = units / "timers.target.wants/benchtools-bench.timer"
    assert enabled.is_symlink()  # systemctl enable, for real

    # systemd's run, the server gone back to a bench.sh before 1.3.0, which would refuse the
    # schedule's --wait-idle-max: the copy kept here runs
    server.served_script = SCRIPT.read_bytes().replace(b"--wait-idle-max)", b"--idle-max)")
    systemd_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
    job_run = started(
        [f"{root}/usr/local/sbin/bench-run"], {"PATH": systemd_path, **SHORT_LOOK}, tmp_path
    )
    assert job_run.returncode == 0, job_run.stderr[-2000:]
    url = f"{server.url.removesuffix('/api/benchmark')}/bench.sh"
    assert f"bench-run: no bench.sh of 1.3.0 or later at {url}: running the copy" in job_run.stderr
    assert (root / "usr/local/sbin/bench.sh").read_bytes() == SCRIPT.read_bytes()
    assert len(server.requests) == 2

    gone = run_bench("--unschedule", env=env, cwd=tmp_path)

    assert gone.returncode == 0, gone.stderr
    assert "unscheduled: removed /etc/systemd/system/benchtools-bench.timer" in gone.stderr
    assert not enabled.is_symlink() and not enabled.exists()
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert left == [], left
    again = run_bench("--unschedule", env=env, cwd=tmp_path)
    assert "nothing to unschedule" in again.stderr and again.returncode == 0


def test_a_scheduled_run_the_server_did_not_take_is_kept_past_a_reboot_and_listed_by_hand(
    server,  # noqa: F811
    tmp_path,
):
    """systemd runs the unit in /: the submission it could not send was kept in /tmp, which
    Debian empties at boot, and a run by hand (sudo, from a home directory) never listed it;
    and a server down was said as "no bench.sh of 1.3.0 or later", curl's reason dropped."""
    root, env = machine_root(tmp_path, "systemd")
    assert schedule(server.url, tmp_path, env).returncode == 0
    server.served_script = None  # /bench.sh: 404
    server.script = [(500, b'{"detail": "Internal error"}', {})]
    systemd_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"

    job_run = started([f"{root}/usr/local/sbin/bench-run"], {"PATH": systemd_path}, "/")

    assert job_run.returncode == 1
    url = f"{server.url.removesuffix('/api/benchmark')}/bench.sh"
    assert f"bench-run: cannot fetch {url} (curl: (22) " in job_run.stderr
    assert "404" in job_run.stderr.split("cannot fetch", 1)[1].splitlines()[0]
    state = root / "var/lib/benchtools"
    [kept] = state.glob("bench-sched-box-*.json")
    assert mode(state) == 0o700 and mode(kept) == 0o600
    assert f"The submission is kept in {kept}." in job_run.stderr

    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    by_hand = run_bench(*("--server", server.url, "--token", TOKEN, *RUN), env=env, cwd=elsewhere)

    assert by_hand.returncode == 0, by_hand.stderr[-2000:]
    assert "1 submission(s) kept by earlier runs have not been sent:" in by_hand.stderr
    assert f"  {kept}\n" in by_hand.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--schedule", "hourly"), "--schedule WHEN must be daily, weekly or monthly"),
        (("--schedule", "weekly", "--dry-run"), "cannot be used with --dry-run"),
        (("--unschedule", "--short"), "--unschedule runs nothing: it takes no other option"),
        (("--unschedule", "--schedule", "weekly"), "cannot be used together"),
    ],
)
def test_what_cannot_be_scheduled_is_a_usage_error(tmp_path, args, said):
    _, env = machine_root(tmp_path, "cron")
    proc = run_bench(
        *("--server", "http://127.0.0.1:9/api/benchmark", "--token", TOKEN, *args),
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and said in proc.stderr, proc.stderr


def test_without_a_scheduler_nothing_is_measured(server, tmp_path):  # noqa: F811
    _, env = machine_root(tmp_path, "none")

    proc = schedule(server.url, tmp_path, env)

    assert proc.returncode == 3
    assert "neither systemd (not running here) nor cron" in proc.stderr
    assert server.checks == [] and server.requests == []


def test_a_run_the_server_did_not_store_schedules_nothing(server, tmp_path):  # noqa: F811
    root, env = machine_root(tmp_path, "cron")
    server.status, server.body = 500, b'{"detail": "boom"}'

    proc = schedule(server.url, tmp_path, env)

    assert proc.returncode == 1
    assert "scheduled:" not in proc.stderr
    # said: the owner took the machine for scheduled
    assert "--schedule: nothing was scheduled, as the server did not store this run" in proc.stderr
    assert not (root / "etc/cron.d/benchtools-bench").exists()
    assert not (root / "usr/local/sbin").exists()


def test_monthly_runs_on_the_first_and_says_when_the_server_counts_a_machine_quiet(
    server,  # noqa: F811
    tmp_path,
):
    root, env = machine_root(tmp_path, "cron")

    proc = schedule(server.url, tmp_path, env, "--schedule", "monthly")  # the last one given

    assert proc.returncode == 0, proc.stderr[-2000:]
    minute, hour = night_time()
    assert f"runs on the 1st of every month at {hour:02d}:{minute:02d}" in proc.stderr
    job = (root / "etc/cron.d/benchtools-bench").read_text()
    assert f"\n{minute} {hour} 1 * * root " in job
    assert "set it to 35 there" in proc.stderr  # QUIET_AFTER_DAYS: 14 days by default
    # no logrotate on this machine (no /etc/logrotate.d): none is made for it
    assert not (root / "etc/logrotate.d").exists()
