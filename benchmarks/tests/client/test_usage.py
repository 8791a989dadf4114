"""bench.sh's command line: --help, usage errors (exit 2, a clear message), piping to bash."""

import contextlib
import fcntl
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .benchrun import FIXTURES, SCRIPT, SHORT_BUSY_LOOK, free_port, private_tmpdir, run_bench
from .contract import validate_submission

OPTIONS = (
    "--server",
    "--token",
    "--device",
    "--iperf-server",
    "--skip-cpu",
    "--skip-memory",
    "--skip-disk",
    "--skip-network",
    "--skip-gpu",
    "--short",
    "--dry-run",
    "--output",
    "--capture",
    "--from-dir",
    "--repeats",
    "--no-wait-idle",
    "--token-file",
    "--retries",
    "--resend",
    "--help",
)
# a run that collects the inventory and measures the CPU at most
QUICK = (
    "--dry-run",
    "--no-wait-idle",
    "--skip-memory",
    "--skip-disk",
    "--skip-network",
    "--skip-gpu",
)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_option_and_exits_0(flag):
    proc = run_bench(flag, timeout=30)
    assert proc.returncode == 0
    for option in OPTIONS:
        assert option in proc.stdout, option
    assert "Usage: bench.sh --server URL --token TOKEN" in proc.stdout


def test_missing_server_is_a_usage_error_naming_the_option():
    proc = run_bench("--token", "x", "--short", timeout=30)
    assert proc.returncode == 2
    assert "--server URL is required" in proc.stderr
    assert "--dry-run" in proc.stderr  # says how to run without a server
    assert proc.stdout == ""


def test_missing_token_is_a_usage_error():
    proc = run_bench("--server", "http://127.0.0.1:9/api/benchmark", timeout=30)
    assert proc.returncode == 2
    assert (
        "--token TOKEN (or --token-file FILE, or BENCH_TOKEN in the environment) is required"
        in (proc.stderr)
    )


def test_unknown_option_is_a_usage_error():
    proc = run_bench("--dry-run", "--turbo", timeout=30)
    assert proc.returncode == 2
    assert "unknown option or argument: --turbo" in proc.stderr
    assert "bench.sh --help" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run", "--server"], "option --server needs a value"),
        (["--dry-run", "--device", "--short"], "option --device needs a value"),
        (["--server", "ftp://host/api/benchmark", "--token", "t"], "--server must be an http://"),
        (["--dry-run", "--iperf-server", "127.0.0.1:99999"], "--iperf-server: invalid port"),
        (["--dry-run", "--iperf-server", "host:port"], "--iperf-server: invalid port"),
        (["--dry-run", "--from-dir", "/nonexistent/capture"], "is not a directory"),
        (["--dry-run", "--capture", "/tmp/x", "--from-dir", "/tmp"], "cannot be used together"),
        (["--dry-run", "--device", "x" * 256], "at most 255 characters"),
        # what the server refuses as a device_identifier, said before anything runs
        (["--dry-run", "--device", "   "], "--device NAME must not be blank"),
        (["--dry-run", "--device", "web\t01"], "must not contain a control or invisible"),
        # a zero-width space and a right-to-left override: refused by the server too
        (["--dry-run", "--device", "web\u200b01"], "must not contain a control or invisible"),
        (["--dry-run", "--device", "web\u202e01"], "must not contain a control or invisible"),
        (["--dry-run", "--repeats", "0"], "--repeats N must be a number from 1 to 9"),
        (["--dry-run", "--repeats", "many"], "--repeats N must be a number from 1 to 9"),
        (["--dry-run", "--retries", "10"], "--retries N must be a number from 0 to 9"),
        (["--dry-run", "--wait-idle-max", "0"], "--wait-idle-max N must be a number of seconds"),
        (["--dry-run", "--wait-idle-max", "3601"], "from 1 to 3600 (got '3601')"),
        (["--dry-run", "--wait-idle-max", "5", "--no-wait-idle"], "cannot be used together"),
        (["--dry-run", "--token-file", "/nonexistent/token"], "--token-file: cannot read"),
        (["--dry-run", "--resend", "/nonexistent.json"], "--resend sends a kept submission"),
        (["--token", "t", "--token-file", "/etc/hostname"], "give the token once"),
        (["--server", "http://h", "--token", "t", "--resend", "/none"], "--resend: cannot read"),
        (
            ["--server", "http://h", "--token", "t", "--resend", "/etc/hostname", "--device", "x"],
            "only --server, --token/--token-file and --retries go with it",
        ),
    ],
)
def test_invalid_arguments_are_usage_errors(args, message):
    proc = run_bench(*args, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr


def test_capture_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    proc = run_bench("--dry-run", "--capture", str(tmp_path), timeout=30)
    assert proc.returncode == 2
    assert "is not empty" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["old.txt"]


@pytest.mark.skipif(os.geteuid() != 0, reason="a directory of another user: made by root")
def test_capture_refuses_another_users_directory(tmp_path):
    """Root given an empty directory someone made in /tmp wrote every capture file into it: its
    owner could swap them, as they were written, for links to any file, or for figures of
    their own, submitted as measured."""
    theirs = tmp_path / "cap"
    theirs.mkdir()
    os.chown(theirs, 65534, 65534)  # nobody's
    proc = run_bench("--dry-run", "--capture", str(theirs), "--skip-cpu", timeout=30)
    assert proc.returncode == 3, proc.stderr
    assert "is another user's directory: give a directory of your own" in proc.stderr
    assert list(theirs.iterdir()) == []


def test_a_capture_is_this_accounts_alone(tmp_path):
    """It holds the machine-id, the serials and the addresses, as a kept submission does
    (0600): under the usual umask 022 its directory was 0755 and its files 0644."""
    capture, output = tmp_path / "new" / "capture", tmp_path / "bench.json"
    proc = subprocess.run(
        ["sh", "-c", 'umask 022 && exec bash "$@"', "sh", str(SCRIPT), *QUICK, "--skip-cpu"]
        + ["--capture", str(capture), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (capture / "machine-id.txt").is_file() or (capture / "uname.txt").is_file()
    modes = {
        str(path.relative_to(tmp_path)): oct(path.stat().st_mode & 0o777)
        for path in [capture, *capture.rglob("*")]
    }
    assert {path: mode for path, mode in modes.items() if int(mode, 8) & 0o077} == {}
    assert output.stat().st_mode & 0o777 == 0o644  # --output as before: the user's to share

    # an empty directory given, made under that umask (0755): made this account's alone too
    given = tmp_path / "given"
    given.mkdir(mode=0o755)
    proc = run_bench(*QUICK, "--skip-cpu", "--capture", str(given), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert given.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    ("output", "said"),
    [
        ("{tmp}", "--output: '{tmp}' is a directory: give a file's path"),
        ("{tmp}/nowhere/bench.json", "--output: there is no directory '{tmp}/nowhere'"),
    ],
)
def test_an_output_that_cannot_be_written_is_said_before_anything_is_measured(
    tmp_path, output, said
):
    """--output a directory, or in one that is not there, was found out after the run's
    minutes of measuring ("warning: cannot write …"), and a --dry-run still exited 0."""
    proc = run_bench(*QUICK, "--output", output.format(tmp=tmp_path), timeout=30)
    assert proc.returncode == 2
    assert said.format(tmp=tmp_path) in proc.stderr
    assert "[1/" not in proc.stderr  # nothing measured


def test_equals_form_of_options_is_accepted():
    proc = run_bench(f"--from-dir={FIXTURES / 'old-tools'}", "--device=renamed", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["device_identifier"] == "renamed"


def test_works_when_piped_to_bash():
    """As served: curl -fsSL http://HOST:8007/bench.sh | sudo bash -s -- ARGS."""
    script = SCRIPT.read_bytes()
    help_proc = subprocess.run(
        ["bash", "-s", "--", "--help"], input=script, capture_output=True, check=False, timeout=30
    )
    assert help_proc.returncode == 0
    assert b"--iperf-server" in help_proc.stdout
    run = subprocess.run(
        ["bash", "-s", "--", "--from-dir", str(FIXTURES / "old-tools"), "--dry-run"],
        input=script,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr.decode()
    assert json.loads(run.stdout)["device_identifier"] == "fileserver"


def test_output_writes_the_json_to_a_file_too(tmp_path):
    out = tmp_path / "bench.json"
    proc = run_bench("--from-dir", str(FIXTURES / "old-tools"), "--dry-run", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == json.loads(proc.stdout)


def test_without_jq_and_without_root_it_stops_with_a_clear_error():
    """jq builds the JSON; a non-root run cannot install it, so it says what to do (exit 3)."""
    bin_dir = Path(tempfile.mkdtemp(prefix="bench-nojq-"))
    try:
        bin_dir.chmod(0o755)
        for tool in ("bash", "mktemp", "rm", "cat", "id", "date", "dirname", "ls", "mkdir"):
            os.symlink(shutil.which(tool), bin_dir / tool)
        command = [str(bin_dir / "bash"), "-s", "--", "--dry-run", "--skip-disk"]
        if os.geteuid() == 0:  # as root bench.sh would apt-get install jq: drop to nobody
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("setpriv (util-linux) is needed to run as a non-root user")
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        proc = subprocess.run(
            command,
            input=SCRIPT.read_bytes(),
            capture_output=True,
            env={"PATH": str(bin_dir), "HOME": str(bin_dir)},
            check=False,
            timeout=60,
        )
    finally:
        shutil.rmtree(bin_dir)
    assert proc.returncode == 3, proc.stderr.decode()
    assert b"jq is required" in proc.stderr
    assert proc.stdout == b""


@pytest.mark.parametrize(
    ("says", "refused"),
    [
        ("jq-1.5", True),
        ("jq-1.5rc2", True),
        ("jq-1.6", False),
        ("jq-1.7.1", False),
        ("jq-1.10", False),
    ],
)
def test_a_jq_older_than_1_6_is_refused_before_anything_runs(tmp_path, says, refused):
    """jq 1.5 (Debian 10, Ubuntu 18.04) has no --rawfile: the run went through its benchmarks
    and only then failed to build its JSON. It is refused at once, saying which jq it found."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "jq").write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && {{ echo {says}; exit 0; }}\n'
        f'exec {shutil.which("jq")} "$@"\n'
    )
    (shim / "jq").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    proc = run_bench(*QUICK, "--skip-cpu", env=env, timeout=120)
    if refused:
        assert proc.returncode == 3, proc.stderr
        assert f"bench.sh needs jq 1.6 or newer and this machine has {says}" in proc.stderr
        assert "[1/" not in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["hardware"]["cpu"]


def test_without_curl_a_run_that_would_submit_stops_before_measuring():
    """curl sends the submission: without it (and without root to install it) bench.sh says so
    at once instead of after minutes of benchmarks; with --output it warns and keeps the JSON."""
    with commands_without("curl") as run:
        proc = run("--server", "http://127.0.0.1:1/api/benchmark", "--token", "t", "--skip-disk")
        assert proc.returncode == 3, proc.stderr
        assert "curl is needed to submit and is not installed" in proc.stderr
        assert "[2/" not in proc.stderr  # no benchmark started
        out = run.workdir / "bench.json"
        proc = run(
            *("--server", "http://127.0.0.1:1/api/benchmark", "--token", "t"),
            *("--skip-cpu", "--skip-memory", "--skip-disk", "--output", str(out)),
        )
        assert proc.returncode == 3, proc.stderr  # written, not sent
        assert "curl is not installed: the submission will be written to" in proc.stderr
        assert json.loads(out.read_text())["device_identifier"]


def test_without_ping_the_summary_says_the_latency_was_not_measured():
    with commands_without("ping") as run:
        proc = run(
            *("--dry-run", "--short", "--repeats", "1", "--iperf-server", "127.0.0.1:1"),
            *("--skip-cpu", "--skip-memory", "--skip-disk"),
        )
    assert proc.returncode == 0, proc.stderr
    assert "- network latency (ping_ms): ping is not installed" in proc.stderr


def test_without_a_working_ip_or_lsblk_the_nics_and_disks_are_not_collected_rather_than_none():
    """ "interfaces": [] and "devices": [] said the machine had none: the server listed every
    NIC and disk of its last snapshot as removed. (Both are put out of use under /dev/null in
    a mount namespace of their own: ip is in /usr/sbin too, which bench.sh adds to PATH, and
    bash finds a command that cannot run; a missing one is said as before.)"""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to hide ip and lsblk")
    hide = " && ".join(
        f"mount --bind /dev/null {os.path.realpath(shutil.which(tool))}" for tool in ("ip", "lsblk")
    )
    skips = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{hide} || exit 99; exec bash "$@"', "sh", str(SCRIPT)]
        + ["--dry-run", *skips],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot bind-mount here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert validate_submission(document) == []
    hardware = document["hardware"]
    assert hardware["network"]["interfaces"] is None
    assert hardware["storage"]["devices"] is None
    assert hardware["storage"]["partitions"]  # df is there
    assert "- network interfaces: ip failed (exit 126)" in proc.stderr
    assert "- disks: lsblk failed (exit 126)" in proc.stderr


@contextlib.contextmanager
def commands_without(*missing: str):
    """A runner of bench.sh as an ordinary user (root would apt-get install what is missing)
    whose PATH has every command of this machine but `missing`; `run.workdir` is its HOME and
    TMPDIR."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run as a non-root user")
    bin_dir = Path(tempfile.mkdtemp(prefix="bench-without-"))
    workdir = private_tmpdir()  # pytest's own tmp dirs are 0700 under root: nobody cannot enter
    try:
        bin_dir.chmod(0o755)
        workdir.chmod(0o777)
        for directory in map(Path, ("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")):
            for tool in directory.iterdir() if directory.is_dir() else ():
                if tool.name not in missing and not (bin_dir / tool.name).exists():
                    os.symlink(tool, bin_dir / tool.name)
        command = [str(bin_dir / "bash"), str(SCRIPT), "--no-wait-idle", "--skip-gpu"]
        if os.geteuid() == 0:
            user = ["--reuid=65534", "--regid=65534", "--clear-groups"]
            command = [shutil.which("setpriv"), *user, *command]
        env = {"PATH": str(bin_dir), "HOME": str(workdir), "TMPDIR": str(workdir)}

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [*command, *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=workdir,
                check=False,
                timeout=120,
            )

        run.workdir = workdir
        yield run
    finally:
        shutil.rmtree(bin_dir)
        shutil.rmtree(workdir, ignore_errors=True)


def test_nothing_is_read_from_the_file_after_main_starts():
    """bash reads a script as it runs it: with `exit` on a line of its own, a bench.sh edited
    during a run had its new bytes executed after main returned (a replay went on to benchmark
    into its --from-dir). main and exit must be one command, parsed before main runs."""
    lines = [line for line in SCRIPT.read_text().splitlines() if line.strip()]
    assert lines[-1] == 'main "$@" </dev/null; exit $?'


def own_non_loopback_address() -> str | None:
    """One of this machine's own IPv4 addresses that is not loopback (from `ip -j addr`)."""
    if shutil.which("ip") is None:
        return None
    out = subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, check=False).stdout
    for link in json.loads(out or "[]"):
        for addr in link.get("addr_info", []):
            if addr.get("family") == "inet" and not addr["local"].startswith("127."):
                return addr["local"]
    return None


def network_only(*args: str):
    """A network test alone (--dry-run, --short), on a test machine busy with the suite."""
    return run_bench(
        *("--dry-run", "--short", "--no-wait-idle"),
        *("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-gpu"),
        *args,
        timeout=120,
        env=SHORT_BUSY_LOOK,
    )


@pytest.mark.parametrize(
    "target",
    [
        *("localhost", "[::1]:5999", "2130706433:5999", "0::1"),
        *("own-address", "own-number", "own-mapped"),
    ],
)
def test_an_iperf_server_that_is_this_machine_is_warned_about_loudly(target):
    """Its own address written as the resolver writes it otherwise (a number, `0::1`) was
    measured unsaid, as was a name of it in DNS or /etc/hosts: the loopback's 20 Gbit/s in the
    global score, which the server's rule, reading the text, could not tell."""
    own = target.startswith("own") or target == "0::1"
    if target.startswith("own"):
        address = own_non_loopback_address()
        if address is None:
            pytest.skip("this machine has no non-loopback IPv4 address")
        if target == "own-number":  # 10.0.2.15 as inet_aton reads 167772687
            address = str(int(ipaddress.IPv4Address(address)))
        if target == "own-mapped":  # as IPv6 writes it
            address = f"[::ffff:{address}]"
        target = f"{address}:1"  # nothing listens on port 1: iperf3 fails at once
    elif target == "0::1":
        target = "[0::1]:1"
    proc = network_only("--repeats", "1", "--iperf-server", target)
    assert proc.returncode == 0, proc.stderr
    assert f"WARNING: --iperf-server {target} is this machine itself" in proc.stderr
    doc = json.loads(proc.stdout)
    if own:
        # the server's rule reads the target's text and could not tell: not measured at all
        assert "the network test is skipped" in proc.stderr
        assert "network: skipped (the iperf3 server is this machine itself)" in proc.stderr
        assert doc["results"]["network"] is None
        assert "  network   not run" in proc.stderr
        assert f"- network benchmark: --iperf-server {target} is this machine itself" in proc.stderr
    else:
        # measured, and left out of the global score by the server's own rule
        assert "leaves" in proc.stderr and "out of the global score" in proc.stderr
        # an IPv6 address said in its brackets, as given ("::1:5999" read as no port)
        if target.startswith("["):
            assert f"network: iperf3 upload to {target}, then download" in proc.stderr
        # nothing listens there: iperf3's own reason, though iperf3 -J exits 0 on it
        assert "iperf3 upload failed: unable to connect" in proc.stderr
        assert doc["results"]["network"] is None
        # the summary row says it did not run, and the list below it says why
        assert "  network   not run" in proc.stderr
        # not "(part)": neither direction was measured
        assert "- network benchmark: iperf3 upload: unable to connect" in proc.stderr


def test_an_iperf_server_whose_name_does_not_resolve_is_said_before_any_benchmark():
    """A typo in --iperf-server was found after the other benchmarks' minutes, as
    "unable to connect … is 'iperf3 -s' running?": the name is looked up first, and said (it
    is tried at its turn all the same: a resolver down at boot may be back by then)."""
    proc = network_only("--iperf-server", "nas-typo.invalid")
    assert proc.returncode == 0, proc.stderr
    said = "--iperf-server nas-typo.invalid does not resolve now (no such host, or no DNS yet)"
    assert said in proc.stderr
    assert proc.stderr.index(said) < proc.stderr.index("network: iperf3 upload")
    assert "nas-typo.invalid did not resolve at the start either" in proc.stderr
    assert "is 'iperf3 -s' running" not in proc.stderr
    assert json.loads(proc.stdout)["results"]["network"] is None


@pytest.mark.skipif(shutil.which("iperf3") is None, reason="needs iperf3")
def test_a_network_measured_one_way_only_is_listed_as_part_not_collected():
    """A one-off `iperf3 -s -1` serves the upload and is gone for the download."""
    port = free_port()
    server = subprocess.Popen(
        ["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port)
        proc = network_only("--repeats", "1", "--iperf-server", f"127.0.0.1:{port}")
    finally:
        server.kill()
        server.wait()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"]["network"]["upload_mbps"] > 0
    assert "- network benchmark (part): iperf3 download:" in proc.stderr


def wait_listening(port: int, timeout: float = 10.0) -> None:
    """Until something listens on the port, told by the kernel's table of sockets: a connection
    to try it would be the one test a one-off iperf3 server serves."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listening = subprocess.run(
            ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
        if listening.strip():
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def test_without_root_the_summary_says_what_was_not_collected_and_why():
    """An inventory run as an ordinary user: no DMI, no SMART, and the summary says why."""
    command = [
        "bash",
        str(SCRIPT),
        "--dry-run",
        "--skip-cpu",
        "--skip-memory",
        "--skip-disk",
        "--skip-network",
        "--skip-gpu",
    ]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is needed to run as a non-root user")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    workdir = private_tmpdir()  # pytest's own tmp dirs are 0700 under root: nobody cannot enter
    try:
        workdir.chmod(0o777)
        # not a container (in one, DMI is not collected for another reason: it is the host's)
        (workdir / "bin").mkdir(mode=0o755)
        (workdir / "bin" / "systemd-detect-virt").write_text("#!/bin/sh\necho none\nexit 1\n")
        (workdir / "bin" / "systemd-detect-virt").chmod(0o755)
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=workdir,
            env={
                **os.environ,
                "TMPDIR": str(workdir),
                "HOME": str(workdir),
                "PATH": f"{workdir / 'bin'}:{os.environ['PATH']}",
            },
            check=False,
            timeout=120,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    assert "not collected:" in proc.stderr
    assert "- RAM slots and DIMMs, system UUID and serial, board and BIOS: not root" in proc.stderr
    assert "- SMART (health, temperature, hours, reallocated sectors): not root" in proc.stderr
    hardware = json.loads(proc.stdout)["hardware"]
    assert hardware["system"]["system_uuid"] is None and hardware["ram"]["layout"] == []
    # every category skipped: said, as this run would send the inventory only
    assert "no benchmark ran: this run carries the hardware inventory only" in proc.stderr
    # announced as such: it said "full run (under 3 minutes…)"
    assert "inventory only (every benchmark skipped)" in proc.stderr
    assert "full run" not in proc.stderr


def test_root_without_sbin_in_path_still_finds_the_inventory_tools():
    """Root by `su` (without -) keeps the user's PATH: dmidecode, smartctl and ethtool live in
    /usr/sbin, and are neither reported missing nor installed again."""
    if os.geteuid() != 0:
        pytest.skip("as root only")
    if not Path("/usr/sbin/dmidecode").exists():
        pytest.skip("dmidecode is not installed in /usr/sbin")
    path = ":".join(p for p in os.environ["PATH"].split(":") if not p.endswith("sbin"))
    proc = run_bench(
        *("--dry-run", "--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network"),
        "--skip-gpu",
        env={**os.environ, "PATH": path},
    )
    assert proc.returncode == 0, proc.stderr
    assert "dmidecode is not installed" not in proc.stderr
    assert "installing with apt-get" not in proc.stderr


def _on_a_full_filesystem(
    tmp_path: Path, *args: str, tmpdir_on_it: bool
) -> subprocess.CompletedProcess:
    """bench.sh run with `args` in a mount namespace of its own where tmp_path/full is a 48 KB
    tmpfs (TMPDIR when `tmpdir_on_it`): nothing is left mounted whatever happens."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to mount a small filesystem")
    full = tmp_path / "full"
    full.mkdir()
    env = {**os.environ, "TMPDIR": str(full if tmpdir_on_it else tmp_path)}
    script = 'mount -t tmpfs -o size=48k tmpfs "$1" || exit 99; shift; exec bash "$@"'
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(full), str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    return proc


def test_a_full_tmpdir_stops_the_run_before_anything_is_measured(tmp_path):
    """On a TMPDIR whose filesystem was full, every capture file came out empty and the run
    went through its benchmarks only to end with "could not build the submission JSON (jq's
    errors above)", exit 1, and no error of jq's to read. It stops at once (exit 3: a
    requirement is missing), saying where and how much room it needs."""
    proc = _on_a_full_filesystem(tmp_path, *QUICK, tmpdir_on_it=True)
    assert proc.returncode == 3, proc.stderr
    assert f"KB free in {tmp_path / 'full'}: bench.sh needs 4096 KB there" in proc.stderr
    assert "set TMPDIR to a directory with room" in proc.stderr
    assert "[1/" not in proc.stderr and proc.stdout == ""  # nothing collected, nothing measured


def test_a_capture_directory_on_a_full_filesystem_is_refused_at_once(tmp_path):
    proc = _on_a_full_filesystem(
        tmp_path, *QUICK, "--capture", str(tmp_path / "full" / "cap"), tmpdir_on_it=False
    )
    assert proc.returncode == 3, proc.stderr
    assert f"KB free in {tmp_path / 'full' / 'cap'}: bench.sh needs" in proc.stderr
    assert "[1/" not in proc.stderr


def test_a_read_only_tmp_is_worked_around_in_var_tmp():
    """A read-only /tmp (an embedded or a hardened system's) stopped every run at once: "cannot
    create a temporary directory", exit 3."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to mount a read-only /tmp")
    env = {key: value for key, value in os.environ.items() if key != "TMPDIR"}
    script = 'mount -t tmpfs -o ro tmpfs /tmp || exit 99; exec bash "$@"'
    # the script and the capture out of /tmp, which hides a checkout there (a CI's clone)
    outside = private_tmpdir()
    try:
        shutil.copy(SCRIPT, outside / "bench.sh")
        shutil.copytree(FIXTURES / "old-tools", outside / "old-tools")
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", str(outside / "bench.sh")]
            + ["--from-dir", str(outside / "old-tools"), "--dry-run"],
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            check=False,
            timeout=120,
        )
    finally:
        shutil.rmtree(outside)
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    assert "note: cannot write in /tmp: working in /var/tmp (set TMPDIR to choose)" in proc.stderr
    assert json.loads(proc.stdout)["device_identifier"] == "fileserver"


def test_run_with_sh_says_to_use_bash():
    proc = subprocess.run(["sh", str(SCRIPT), "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3
    assert proc.stderr.strip().startswith("bench.sh: error: run it with bash")


def test_a_capture_directory_it_cannot_write_in_is_refused_at_once():
    """A stick mounted by root, a user's run: every raw output was lost and an empty snapshot
    submitted, exit 0. An empty directory of sysfs: no one, root included, creates a file there."""
    candidates = ("/sys/class/dma", "/sys/kernel/security", "/sys/class/nd", "/sys/kernel/debug")
    empty = next((d for d in candidates if os.path.isdir(d) and not os.listdir(d)), None)
    if empty is None:
        pytest.skip("no empty sysfs directory here")
    proc = run_bench("--capture", empty, "--dry-run", "--skip-cpu", timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert f"--capture: cannot write in '{empty}'" in proc.stderr
    assert "[1/" not in proc.stderr  # nothing collected


def test_a_bundle_that_does_not_name_its_machine_needs_device(tmp_path):
    (tmp_path / "os-release.txt").write_text(
        (FIXTURES / "old-tools" / "os-release.txt").read_text()
    )
    args = ("--from-dir", str(tmp_path), "--server", "http://127.0.0.1:9/api/benchmark")
    proc = run_bench(*args, "--token", "t", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "does not say which machine it is from" in proc.stderr and "--device NAME" in proc.stderr
    # with --dry-run nothing is filed: the JSON names it "unknown" for anyone to see
    assert run_bench("--from-dir", str(tmp_path), "--dry-run", cwd=tmp_path).returncode == 0


def test_bench_sh_refuses_the_characters_the_server_refuses_in_a_device_name():
    """bench.sh checks --device before anything runs, by the UTF-8 bytes of what
    inventory/validators.py refuses: every code point the server refuses, and no other."""
    import re

    from inventory.validators import CONTROL_CHARACTERS

    script = Path(SCRIPT).read_text()
    pattern = re.search(r"grep -qP \\\n\s*'([^']+)'", script).group(1)
    client = re.compile(pattern.encode().decode("unicode_escape").encode("latin-1"))
    server = re.compile(f"[{CONTROL_CHARACTERS}]")
    # [[:cntrl:]] (C0 and DEL) is bench.sh's other half of the check
    disagree = [
        f"U+{cp:04X}"
        for cp in range(0x80, 0x110000)
        if not 0xD800 <= cp <= 0xDFFF
        and bool(client.search(chr(cp).encode())) != bool(server.search(chr(cp)))
    ]
    assert disagree == []


def test_a_second_run_waits_for_the_one_running_then_goes_on(tmp_path):
    """Two runs at once (cron jobs that overlap) measured each other's load: both scored a
    fraction of the machine's speed, and neither said why. The lock is held here until
    bench.sh says it waits for it, then let go."""
    lock = tmp_path / "bench.sh.lock"
    env = {**os.environ, "BENCH_LOCK_FILE": str(lock)}
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # the run going on
        proc = subprocess.Popen(
            ["bash", str(SCRIPT), *QUICK, "--skip-cpu"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        said = []
        try:
            for line in proc.stderr:  # to its end if it never says it waits
                said.append(line)
                if "another bench.sh is running on this machine: waiting for it" in line:
                    break
        except BaseException:
            proc.kill()
            raise
    stdout, rest = proc.communicate(timeout=120)
    stderr = "".join(said) + rest
    assert proc.returncode == 0, stderr
    waited = stderr.index("another bench.sh is running on this machine: waiting for it")
    assert waited < stderr.index("the other bench.sh has ended: going on")
    assert stderr.index("the other bench.sh has ended") < stderr.index("[1/")
    assert json.loads(stdout)["hardware"]["cpu"]


def test_a_users_run_without_a_runtime_directory_locks_in_a_directory_of_its_own():
    """A user's run with no XDG_RUNTIME_DIR (runuser, sudo -u, a user's cron job) locked
    /tmp/bench.sh.UID.lock, a name any other user could make first and hold for ever: the run
    waited 10 minutes, then gave up, nothing measured. And with TMPDIR not writable, it worked
    in /var/tmp but sought its lock in TMPDIR, and warned it was "not a regular file"."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv (util-linux)")
    workdir = private_tmpdir()
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_LOCK_FILE", "XDG_RUNTIME_DIR")}
    mine, fallback = workdir / "bench.sh-65534", Path("/var/tmp/bench.sh-65534")

    def run(tmpdir):
        return subprocess.run(
            [*nobody, "bash", str(SCRIPT), *QUICK, "--skip-cpu"],
            env={**env, "TMPDIR": str(tmpdir), "HOME": str(workdir)},
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    holder = None
    try:
        workdir.chmod(0o1777)
        # another user (daemon) made the old lock's name and holds it, and the new one's
        # directory: neither keeps nobody's run from measuring
        holder = subprocess.Popen(
            [
                *("setpriv", "--reuid=1", "--regid=1", "--clear-groups", "sh", "-c"),
                f": > {workdir}/bench.sh.65534.lock && mkdir {mine} && "
                f"exec flock {workdir}/bench.sh.65534.lock sleep 300",
            ],
            start_new_session=True,  # its sleep, flock's child, holds the lock: both stopped
        )
        while not mine.is_dir():
            assert holder.poll() is None, "the other user's holder ended"
            time.sleep(0.05)
        taken = run(workdir)
        assert taken.returncode == 0, taken.stderr[-2000:]
        assert f"{mine} is not this user's own directory: runs at once are not kept apart" in (
            taken.stderr
        )
        assert "waiting for it" not in taken.stderr

        # its own: made 0700, the lock in it
        mine.rmdir()
        done = run(workdir)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "runs at once are not kept apart" not in done.stderr
        assert (mine.stat().st_uid, mine.stat().st_mode & 0o777) == (65534, 0o700)
        assert (mine / "bench.sh.lock").is_file()

        # TMPDIR not writable: the run works in /var/tmp, and its lock is there too
        closed = workdir / "closed"
        closed.mkdir(mode=0o755)
        shutil.rmtree(fallback, ignore_errors=True)
        moved = run(closed)
        assert moved.returncode == 0, moved.stderr[-2000:]
        assert f"cannot write in {closed}: working in /var/tmp" in moved.stderr
        assert "runs at once are not kept apart" not in moved.stderr
        assert (fallback / "bench.sh.lock").is_file() and fallback.stat().st_uid == 65534
    finally:
        if holder is not None:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(fallback, ignore_errors=True)


def test_a_users_run_waits_for_one_of_roots(tmp_path):
    """A user's run and root's (the fleet's cron job) took different locks, and ran at once,
    each measuring the other. Root's run is seen holding its lock in /proc/locks; in a mount
    namespace of its own, /run is a tmpfs whose bench.sh.lock root holds until the user's run
    says it waits for it."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("setpriv") is None:
        pytest.skip("needs root, unshare and setpriv (util-linux)")
    workdir = private_tmpdir()  # pytest's own tmp dirs are 0700 under root: nobody cannot enter
    try:
        workdir.chmod(0o777)
        env = {
            k: v for k, v in os.environ.items() if k not in ("BENCH_LOCK_FILE", "XDG_RUNTIME_DIR")
        }
        env.update(TMPDIR=str(workdir), HOME=str(workdir))
        said, done = workdir / "stderr.txt", workdir / "done"
        waits = "is running on this machine: waiting"
        # root's run holds its lock until the user's says it waits for it (or has ended)
        holder = f"until grep -q '{waits}' {said} || [ -e {done} ]; do sleep 0.05; done"
        script = (
            f"mount -t tmpfs tmpfs /run || exit 99; : > /run/bench.sh.lock; : > {said}; "
            f'flock /run/bench.sh.lock sh -c "{holder}" </dev/null >/dev/null 2>&1 & '
            "while flock -n /run/bench.sh.lock true; do :; done; "  # until the holder has it
            f'setpriv --reuid=65534 --regid=65534 --clear-groups bash "$@" 2>>{said}; '
            f"rc=$?; : > {done}; wait; cat {said} >&2; exit $rc"
        )
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", str(SCRIPT), *QUICK, "--skip-cpu"],
            capture_output=True,
            text=True,
            env=env,
            cwd=workdir,
            check=False,
            timeout=120,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    waited = proc.stderr.index("a bench.sh run as root is running on this machine: waiting")
    assert waited < proc.stderr.index("the bench.sh run as root has ended: going on")
    assert proc.stderr.index("the bench.sh run as root has ended") < proc.stderr.index("[1/")


@pytest.mark.parametrize(
    ("os_release", "version"),
    [
        # Debian testing: no VERSION nor VERSION_ID, the release in PRETTY_NAME (the corpus)
        ('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n', "trixie/sid"),
        ('NAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\n', "trixie"),
        # Void's: PRETTY_NAME past NAME is a word of the name, no release ("Linux", it read)
        ('NAME="Void"\nID="void"\nPRETTY_NAME="Void Linux"\n', None),
        ('NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nBUILD_ID=rolling\n', None),
        # an empty VERSION stopped the search; words past NAME are no version
        ('NAME="Foo Linux"\nVERSION=""\nVERSION_ID="41"\n', "41"),
        ('NAME="Foo"\nPRETTY_NAME="Foo GNU/Linux"\n', None),
    ],
)
def test_an_os_without_a_version_takes_its_release_from_the_names_it_gives(
    tmp_path, os_release, version
):
    (tmp_path / "os-release.txt").write_text(os_release)
    proc = run_bench("--from-dir", str(tmp_path), "--dry-run", "--device", "box", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hardware"]["os"]["version"] == version


def test_a_servers_bmc_vga_gives_way_to_its_gpu(tmp_path):
    """Huawei's iBMC VGA was taken for the GPU, with no vendor, over a data-center GPU."""
    (tmp_path / "lspci.txt").write_text(
        "04:00.0 VGA compatible controller [0300]: Huawei Technologies Co., Ltd. Hi1710 "
        "[iBMC Intelligent Management system chip w/VGA support] [19e5:1711] (rev 01)\n"
        "\tKernel driver in use: hibmc-drm\n"
        "3b:00.0 Display controller [0380]: Intel Corporation ATS-M "
        "[Data Center GPU Flex 170] [8086:56c0] (rev 08)\n"
        "\tKernel driver in use: i915\n"
    )
    proc = run_bench("--from-dir", str(tmp_path), "--dry-run", "--device", "box", timeout=60)
    assert proc.returncode == 0, proc.stderr
    gpu = json.loads(proc.stdout)["hardware"]["gpu"]
    assert (gpu["vendor"], gpu["model"]) == ("Intel", "Intel Data Center GPU Flex 170")
