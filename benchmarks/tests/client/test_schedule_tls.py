"""--schedule with a server whose certificate is signed by a private CA, trusted by the run
through CURL_CA_BUNDLE: the scheduled runs start in cron's or systemd's environment, without
it, and each failed on the certificate (curl exit 60) until the CA was kept for them."""

import json
import os
import ssl
import subprocess
import threading

import pytest

from .benchrun import run_bench
from .test_schedule import RUN, SHORT_LOOK, machine_root, mode, started
from .test_submit import ANSWER, TOKEN, FakeServer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="--schedule needs root")


class TLSServer(FakeServer):
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}/api/benchmark"


def openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def tls_server(tmp_path):
    """The stand-in server over https, its certificate for 127.0.0.1 signed by a CA of the
    test's own (ca.crt): a LAN's private CA, in no system store."""
    pki = tmp_path / "pki"
    pki.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "2", "-subj", "/CN=BenchTools test LAN CA", cwd=pki)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=127.0.0.1", cwd=pki)  # fmt: skip
    (pki / "san.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext",
            cwd=pki)  # fmt: skip
    srv = TLSServer(201, json.dumps(ANSWER).encode())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.crt", pki / "server.key")
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv, pki / "ca.crt"
    srv.shutdown()
    srv.server_close()


def test_the_scheduled_runs_trust_the_ca_the_run_was_given(tls_server, tmp_path):
    srv, ca = tls_server
    root, env = machine_root(tmp_path, "cron")
    env.pop("CURL_CA_BUNDLE", None)  # this machine's environment may name the system's store
    args = ("--server", srv.url, "--token", TOKEN, *RUN, "--schedule", "weekly")

    untrusted = run_bench(*args, env=env, cwd=tmp_path)  # the CA in no store: refused
    assert untrusted.returncode != 0 and "not trusted here" in untrusted.stderr
    trusted = run_bench(*args, env={**env, "CURL_CA_BUNDLE": str(ca)}, cwd=tmp_path)
    assert trusted.returncode == 0, trusted.stderr[-2000:]
    assert len(srv.requests) == 1

    kept = root / "etc/benchtools/ca.pem"
    assert kept.read_bytes() == ca.read_bytes() and mode(kept) == 0o644
    command = (root / "usr/local/sbin/bench-run").read_text()
    assert f"export CURL_CA_BUNDLE={kept}\n" in command
    # as cron runs it: its own small environment, without CURL_CA_BUNDLE
    job = (root / "etc/cron.d/benchtools-bench").read_text().splitlines()[-1]
    job_run = started(
        ["/bin/sh", "-c", job.split(" root ", 1)[1]],
        {"PATH": "/usr/bin:/bin", "HOME": "/root", **SHORT_LOOK},
        tmp_path,
    )
    log = (root / "var/log/benchtools-bench.log").read_text()
    assert job_run.returncode == 0, log[-2000:]
    assert "cannot fetch" not in log  # the server's bench.sh, over https too
    assert len(srv.requests) == 2

    # scheduled again without it (the CA trusted otherwise since, here curl's own .curlrc),
    # or with it naming the system's own store: none is kept, the scheduled runs trust what
    # the machine trusts (a copy of the store would miss its updates)
    (tmp_path / "curlhome").mkdir()
    (tmp_path / "curlhome" / ".curlrc").write_text(f'cacert = "{ca}"\n')
    system = {"CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    again = run_bench(
        *args, env={**env, **system, "CURL_HOME": str(tmp_path / "curlhome")}, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert (
        not kept.exists()
        and "CURL_CA_BUNDLE" not in (root / "usr/local/sbin/bench-run").read_text()
    )
    gone = run_bench("--unschedule", env=env, cwd=tmp_path)
    assert gone.returncode == 0 and not (root / "etc/benchtools").exists()
