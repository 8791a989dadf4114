"""The dashboard's Needs attention panel at an office's size: every critical item on a line of
its machine's, the warnings a line per kind naming their machines, whatever is open in a fixed
number of queries."""

import re

import pytest

from benchsite.attention_panel import CRITICAL_LINES, WARNING_NAMED
from insights.models import AttentionItem
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def open_items(count: int, *, critical: int) -> list[AttentionItem]:
    """`count` open items on as many machines: `critical` failing disks, then warnings of the
    three warning kinds in turn."""
    warnings = (("below_peers", "global"), ("disk_hot", ""), ("score_regression", "cpu"))
    items = []
    for n in range(count):
        device = DeviceFactory(hostname=f"pc-{n:03d}")
        if n < critical:
            kind, severity, category = "smart_failing", "critical", ""
        else:
            (kind, category), severity = warnings[n % 3], "warning"
        items.append(
            AttentionItem.objects.create(
                device=device,
                kind=kind,
                severity=severity,
                category=category,
                disk="WD-1" if kind.startswith(("smart", "disk")) else "",
                message=f"{kind} of pc-{n:03d}",
            )
        )
    return items


def panel(admin_client) -> str:
    html = admin_client.get("/admin/").content.decode()
    return html.split('id="attention"', 1)[1].split("</ul>", 1)[0]


@pytest.mark.parametrize("count", [3, 30, 100])
def test_the_dashboard_makes_as_many_queries_for_100_open_items_as_for_3(
    admin_client, django_assert_max_num_queries, count
):
    open_items(count, critical=count // 10 + 1)
    DeviceFactory.create_batch(6)  # more than the dashboard names unbenchmarked: counted
    admin_client.get("/admin/")
    # session + user, the panel's 3 (how many are open, the critical ones, the warnings' names),
    # 2 stats aggregates, ranking, the devices it leaves out, the machines gone quiet, the
    # hardware changes, the disks near the end of their life, recent, admin log, the last
    # backup, the unbenchmarked machines' count
    with django_assert_max_num_queries(16):
        response = admin_client.get("/admin/")
    html = response.content.decode()
    assert f"{count} open" in html
    # every item said: a failing disk on its machine's line, each warning counted on its kind's
    critical = html.count('<li class="bt-attention-critical"')
    counted = [int(n) for n in re.findall(r"kind__exact=\w+\">(\d+) machines?</a>", html)]
    assert critical == count // 10 + 1 and critical + sum(counted) == count


def test_every_critical_item_has_its_line_and_the_warnings_a_line_per_kind(admin_client):
    """30 open items took 20 lines, a screen at 1366 px, and left 10 unsaid: now the 4 failing
    disks each have a line, and the 26 warnings 3 lines, their machines named."""
    items = open_items(30, critical=4)

    html = panel(admin_client)

    lines = re.findall(r'<li class="bt-attention-(critical|warning)[^"]*" data-kind="(\w+)"', html)
    assert lines == [("critical", "smart_failing")] * 4 + [
        ("warning", "score_regression"),
        ("warning", "below_peers"),
        ("warning", "disk_hot"),
    ]
    for item in items[:4]:
        assert item.message in html
    hot = html.split('data-kind="disk_hot"', 1)[1].split("</li>", 1)[0]
    # of its 9 machines, the newest 8 named, each a link to its items; the last a count
    assert "Disk hot: " in hot and ">9 machines</a>" in hot
    named = re.findall(r'#attention-items">(pc-\d+)</a>', hot)
    disks_hot = [item for item in items if item.kind == "disk_hot"]
    assert named == [item.device.hostname for item in reversed(disks_hot)][:WARNING_NAMED]
    assert re.search(r'kind__exact=disk_hot">and 1 more</a>', hot)


def test_a_machine_s_critical_items_share_its_line_and_its_warnings_are_named_with_their_kind(
    admin_client,
):
    device = DeviceFactory(hostname="nas-1")
    for kind, severity, disk in (
        ("disk_hot", "warning", "WD-2"),
        ("smart_degrading", "critical", "WD-1"),
        ("smart_failing", "critical", "WD-1"),
    ):
        AttentionItem.objects.create(
            device=device, kind=kind, severity=severity, disk=disk, message=f"{kind} of WD"
        )

    html = panel(admin_client)

    assert html.count('class="bt-attention-critical"') == 1
    assert "smart_failing of WD" in html and "and 1 more: SMART degrading" in html
    hot = html.split('data-kind="disk_hot"', 1)[1].split("</li>", 1)[0]
    assert ">1 machine</a>" in hot and ">nas-1</a>" in hot


def test_past_30_machines_with_a_critical_item_the_others_are_counted_and_linked(admin_client):
    open_items(CRITICAL_LINES + 5, critical=CRITICAL_LINES + 5)

    html = panel(admin_client)

    assert html.count('<li class="bt-attention-critical" data-kind="smart_failing"') == 30
    assert re.search(
        r'<a href="/admin/insights/attentionitem/\?state=open&amp;severity__exact=critical">'
        r"5 more machines with a critical item</a>",
        html,
    )
    assert "pc-034" in html and "pc-004" not in html  # the newest first
