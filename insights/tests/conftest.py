"""What the insights tests share: a machine's runs, submitted through the API."""

import copy
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def run(submit, example):
    """run(host, hours_ago, cpu=…, disks=…, cpu_model=…, network=(score, target), cpu_method=…,
    storage_read=…, busy=…) submits one run of a machine; storage_read=False: its storage
    section null, as a partial capture sends it; busy: the CPU share other processes used (80:
    a suspect run)."""

    def send(
        host="nas",
        hours_ago=0,
        *,
        cpu=100.0,
        disks=None,
        cpu_model=None,
        network=None,
        cpu_method="sysbench-1.0-cpu-v1",
        storage_read=True,
        busy=None,
    ):
        document = copy.deepcopy(example)
        document["device_identifier"] = host
        document["submission_id"] = str(uuid.uuid4())
        document["hardware"]["system"] = {}  # no identity keys: hostnames name the machines
        if cpu_model:
            document["hardware"]["cpu"]["model"] = cpu_model
        if disks is not None:
            document["hardware"]["storage"]["devices"] = disks
        if not storage_read:
            document["hardware"]["storage"] = None
        started = timezone.now() - timedelta(hours=hours_ago)
        document["results"]["conditions"] = {"started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if busy is not None:
            document["results"]["conditions"]["cpu_busy_percent"] = busy
        for name in ("memory", "disk", "network", "gpu"):
            document["results"][name] = None
        if network is not None:  # (score, target)
            score, target = network
            document["results"]["network"] = {
                "score": score,
                "target": target,
                "method": "iperf3-tcp-1stream-up+down-2s-v1",
            }
        document["results"]["cpu"] = {"score": cpu, "method": cpu_method}
        response = submit(document)
        assert response.status_code == 201, response.content
        return response.json()

    return send
