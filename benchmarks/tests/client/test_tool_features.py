"""What bench.sh asks of a tool's version before using an option of it (iperf3's
--connect-timeout, smartctl's --json, sysbench 0.x's syntax), read from the tool's own help.

It was read by a pipe into `grep -q`, under `set -o pipefail`: grep leaves at its first match,
the tool writing the rest of its help is killed by SIGPIPE, and the test failed at random
(iperf3 3.12's --help: 28 times in 50). A run against an iperf3 server that did not answer
then waited out bench.sh's own 35 s timeout for each test, instead of iperf3's 5 s, and said
"interrupt - the client has terminated" rather than that the server never answered."""

import stat

from .benchrun import bench_functions

# an iperf3 whose --help names the option first, then goes on for 300 KB: more than a pipe
# holds, so that a reader leaving at the first match kills it, every time
STUB = """#!/bin/bash
if [[ $1 == --help ]]; then
    echo "  --connect-timeout #       timeout for control connection setup (ms)"
    head -c 300000 /dev/zero | tr '\\0' 'x'
    echo
    exit 0
fi
printf '%s\\n' "$@" > "$STUB_ARGS"
echo '{"end": {"sum_sent": {"bits_per_second": 1e9}}}'
"""


def test_iperf3_is_given_its_connect_timeout_whatever_the_length_of_its_help(tmp_path):
    stub = tmp_path / "bin" / "iperf3"
    stub.parent.mkdir()
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    args, cap = tmp_path / "args", tmp_path / "cap"
    cap.mkdir()
    code = (
        f'export PATH={stub.parent}:"$PATH" STUB_ARGS={args}; CAP={cap} IPERF_HOST=10.1.1.1 '
        "IPERF_PORT=5201\n"
        "for i in 1 2 3 4 5; do iperf3_run upload.json 1 || exit 9; "
        f"grep -qx -- --connect-timeout {args} || exit 8; done"
    )

    proc = bench_functions(code)

    assert proc.returncode == 0, proc.stderr[-2000:]
    given = args.read_text().split("\n")
    assert given[given.index("--connect-timeout") + 1] == "5000"
