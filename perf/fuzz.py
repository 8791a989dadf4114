"""Schema-based fuzzing of the real server, at scale: schemathesis against /api/schema/.

    .venv/bin/python perf/fuzz.py [--examples 100] [--seed N] [--database sqlite|postgres]

Starts the server (benchsite.livetest, loopback, its own database, a few devices seeded), then
runs `schemathesis run` over every operation of the served schema with a valid token: the
examples, coverage and fuzzing phases, valid and invalid data, `--examples` cases per operation
(a few thousand in all). Checks: no 5xx, every status code and content type described, every
body and header matching its schema. The suite runs the same checks, bounded, in
benchsite/tests/test_api_answers_match_the_schema.py. Exit status: schemathesis'.
"""

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchsite.livetest import live_server
from perf.common import Client, example_document, with_postgres

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100, help="cases per operation")
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--max-time", type=int, default=900, help="seconds, at most")
    args = parser.parse_args()
    if args.database == "postgres":
        with_postgres(sys.argv)
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with tempfile.TemporaryDirectory(prefix="perf-fuzz-") as tmp:
        # AUTH_FAILURE_RATE="": the fuzzer's failed authentications must not get it throttled
        with live_server(Path(tmp), extra_env={"AUTH_FAILURE_RATE": ""}) as server:
            client = Client(server.url, server.token)
            example = example_document()
            for i in range(6):
                document = copy.deepcopy(example)
                document["device_identifier"] = f"fuzz-{i}"
                document["submission_id"] = str(uuid.uuid4())
                status, _ = client.request("POST", "/api/benchmark", json.dumps(document).encode())
                assert status == 201, status
            command = [
                str(schemathesis),
                "run",
                f"{server.url}/api/schema/",
                "--url",
                server.url,
                "--header",
                f"Authorization: Bearer {server.token}",
                "--checks",
                CHECKS,
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(args.examples),
                "--seed",
                str(args.seed),
                "--workers",
                "2",
                "--request-timeout",
                "60",
                "--max-time",
                str(args.max_time),
                "--report",
                "junit",
                "--report-dir",
                tmp,
            ]
            print(f"schemathesis: {args.examples} examples per operation, seed {args.seed}")
            result = subprocess.run(command, check=False, timeout=args.max_time + 120)
            server_errors = [
                line
                for line in server.log.read_text(errors="replace").splitlines()
                if " ERROR " in line or "Traceback" in line
            ]
            if server_errors:
                print("server log errors:", *server_errors[:20], sep="\n  ")
    return result.returncode or (1 if server_errors else 0)


if __name__ == "__main__":
    raise SystemExit(main())
