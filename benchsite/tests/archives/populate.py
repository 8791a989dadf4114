"""What each archive here holds, made through a release's own API (`manage.py shell <` this, in
that release's checkout, by make.sh): the contract's example, the same machine again, another
host, a host whose disk fails, a run from a machine whose clock was reset to year 1, a PDF
uploaded to the first machine and a manufacturer link."""

import copy
import json
import os

from django.test import Client

auth = {"HTTP_AUTHORIZATION": f"Bearer {os.environ['API_TOKEN']}"}
with open(os.environ["EXAMPLE"]) as file:
    example = json.load(file)
client = Client()


def submit(body: dict) -> None:
    answer = client.post(
        "/api/benchmark", data=json.dumps(body), content_type="application/json", **auth
    )
    assert answer.status_code == 201, answer.content


def another_machine(body: dict, name: str, number: int) -> dict:
    body = copy.deepcopy(body)
    body["device_identifier"] = name
    body["submission_id"] = f"0e6b3c2a-6f0f-4c5e-8a9d-{number:012d}"
    system = body["hardware"]["system"]
    system["machine_id"] = f"{number:02d}" * 16
    system["system_uuid"] = f"{number:08d}-2222-3333-4444-555555555555"
    system["system_serial"] = f"{name.upper()}-SERIAL"
    for disk in body["hardware"]["storage"]["devices"]:
        disk["serial"] = f"{disk['serial']}-{number}"
    return body


submit(example)
later = copy.deepcopy(example)
later["submission_id"] = "0e6b3c2a-6f0f-4c5e-8a9d-111111111111"
later["results"]["cpu"]["score"] = 101.0
submit(later)
nas = another_machine(example, "nas-02", 2)
submit(nas)
failing = another_machine(example, "backup-01", 3)
failing["hardware"]["storage"]["devices"][1]["smart_health"] = "FAILED"
submit(failing)
wrong_clock = copy.deepcopy(nas)
wrong_clock["submission_id"] = "0e6b3c2a-6f0f-4c5e-8a9d-444444444444"
wrong_clock["results"]["conditions"] = {"started_at": "0001-01-01T00:00:00Z"}
submit(wrong_clock)

devices = {d["hostname"]: d["id"] for d in client.get("/api/devices", **auth).json()["results"]}
with open(os.environ["PDF"], "rb") as pdf:
    answer = client.post(
        f"/api/devices/{devices['elitedesk-800g3']}/docs",
        data={"file": pdf, "doc_type": "manual", "title": "EliteDesk manual"},
        **auth,
    )
assert answer.status_code == 201, answer.content
answer = client.post(
    f"/api/devices/{devices['nas-02']}/links",
    data=json.dumps({"label": "Support", "url": "https://support.hp.com/"}),
    content_type="application/json",
    **auth,
)
assert answer.status_code == 201, answer.content
print(f"{len(devices)} devices, 5 runs, 1 document, 1 link")
