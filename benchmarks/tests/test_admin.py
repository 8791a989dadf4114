"""The benchmark's own admin page: read-only, and readable by a person."""

import html
import re

import pytest

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory

pytestmark = pytest.mark.django_db


def test_a_runs_page_says_why_it_is_suspect_and_shows_its_results_indented(admin_client):
    run = BenchmarkFactory(
        validity="suspect",
        validity_reasons=["busy", "noisy"],
        results={"cpu": {"score": 63.1, "samples": [62.7, 63.4]}, "conditions": {"load": 1.7}},
    )

    response = admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/")

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "machine busy, repeats disagree" in page
    # and what to do about it
    assert "Run bench.sh again when nothing else runs (it waits up to 20 s" in page
    assert "(VALIDITY_MAX_CV_PCT sets how far they may)." in page
    assert '["busy", "noisy"]' not in page
    results = page.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert results.startswith('{\n  "cpu": {\n    "score": 63.1,')
    assert '"conditions": {\n    "load": 1.7\n  }\n}' in results
    assert 'name="results"' not in page  # read-only: no field to post a changed document
    assert "View benchmark" in page and 'name="_save"' not in page  # a view, no Save button


def test_a_busy_and_noisy_run_says_run_it_again_once(admin_client):
    """A run both busy and noisy (the usual pair: a busy machine's repeats disagree) read
    "Run bench.sh again when nothing else runs (…); run bench.sh again on an idle machine; …",
    the same advice twice in one sentence. A noisy run alone keeps its whole advice."""
    both = BenchmarkFactory(validity="suspect", validity_reasons=["busy", "noisy"])
    noisy = BenchmarkFactory(validity="suspect", validity_reasons=["noisy"])

    page = html.unescape(
        admin_client.get(f"/admin/benchmarks/benchmark/{both.pk}/change/").content.decode()
    )
    said = page.split("Run bench.sh again when nothing else runs", 1)[1].split("</div>", 1)[0]
    assert "run bench.sh again" not in said.lower()
    assert "repeats disagree too (VALIDITY_MAX_CV_PCT sets how far they may)." in said

    alone = html.unescape(
        admin_client.get(f"/admin/benchmarks/benchmark/{noisy.pk}/change/").content.decode()
    )
    assert "Run bench.sh again on an idle machine; on a VM whose host is busy" in alone


def test_a_runs_page_tells_bench_shs_own_global_score_from_the_servers(admin_client):
    """The results as sent hold bench.sh's own global_score, which read as the run's score
    beside the server's, the one it is ranked by."""
    run = BenchmarkFactory(global_score=85.94, results={"global_score": 91.2, "cpu": {}})
    same = BenchmarkFactory(global_score=91.2, results={"global_score": 91.2, "cpu": {}})

    page = html.unescape(
        admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    )
    other = admin_client.get(f"/admin/benchmarks/benchmark/{same.pk}/change/").content.decode()

    assert (
        "Its global_score, 91.2, is bench.sh's own sum; the run is ranked by the server's, "
        "85.9, with the weights in force." in page
    )
    assert "bench.sh&#x27;s own sum" not in other and "own sum" not in other
    unscored = BenchmarkFactory(global_score=None, results={"global_score": 91.2})
    page = admin_client.get(f"/admin/benchmarks/benchmark/{unscored.pk}/change/")
    assert "own sum" not in page.content.decode()  # "ranked by the server's, –": it is not


def test_a_runs_page_names_the_test_each_category_was_measured_by(admin_client):
    run = BenchmarkFactory(methods={"cpu": "sysbench-1.0-cpu-v1", "memory": "sysbench-memory-v2"})
    page = admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    assert "cpu sysbench-1.0-cpu-v1, memory sysbench-memory-v2" in page


def test_runs_are_rescored_and_deleted_from_their_list(admin_client):
    run = BenchmarkFactory(global_score=1.0)  # not what the weights in force give
    changelist = "/admin/benchmarks/benchmark/"

    response = admin_client.post(
        changelist, {"action": "rescore", "_selected_action": [run.pk]}, follow=True
    )

    assert response.status_code == 200
    run.refresh_from_db()
    assert run.global_score == 100.0  # cpu, memory and disk at 100
    assert "Rescored 1 benchmark(s): 1 changed." in response.content.decode()
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [run.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not type(run).objects.filter(pk=run.pk).exists()


def test_a_run_deleted_from_its_page_leads_back_to_the_runs_list_with_its_filter(admin_client):
    run = BenchmarkFactory()
    url = f"/admin/benchmarks/benchmark/{run.pk}/delete/?_changelist_filters=validity%3Dsuspect"

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert response.url == "/admin/benchmarks/benchmark/?validity=suspect"
    assert not type(run).objects.filter(pk=run.pk).exists()


def test_a_runs_page_gives_the_measured_figures_behind_its_reasons(admin_client):
    run = BenchmarkFactory(
        validity="suspect",
        validity_reasons=["busy", "noisy"],
        results={
            "disk": {"score": 80.0, "cv_pct": 22.5},
            "cpu": {"score": 63.1, "cv_pct": 0.4},  # within its threshold: not named
            "conditions": {"cpu_busy_percent": 45},
        },
    )

    page = html.unescape(
        admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    )

    assert (
        "machine busy (45 % of the CPU used by other processes), repeats disagree (disk 22.5 %)"
        in page
    )


def test_the_runs_list_marks_a_network_measured_on_loopback(admin_client):
    BenchmarkFactory(network_score=2113.8, excluded_categories=["network"])
    BenchmarkFactory(network_score=94.0)

    page = admin_client.get("/admin/benchmarks/benchmark/").content.decode()

    assert "2113.8 (loopback)" in page
    assert "94.0 (loopback)" not in page and "94 (loopback)" not in page
    # and its page says what was left out and why, not the stored list
    run = BenchmarkFactory(network_score=1900.0, excluded_categories=["network"])
    page = admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    assert "network: measured on loopback, not in the global score" in page
    assert '["network"]' not in html.unescape(page)


def test_the_runs_list_badges_a_suspect_run_with_its_reasons(admin_client):
    """CONTRACT Part 2: a suspect run is badged with its reasons wherever runs are listed."""
    BenchmarkFactory(validity="suspect", validity_reasons=["busy", "noisy"], gpu_score=None)
    BenchmarkFactory(validity="valid")

    page = admin_client.get("/admin/benchmarks/benchmark/").content.decode()

    assert (
        '<span class="bt-badge bt-suspect" title="Not trusted: machine busy, repeats disagree. '
        "Run bench.sh again when nothing else runs"
    ) in page
    assert "suspect: machine busy, repeats disagree</span>" in page
    assert '<td class="field-validity_badge">valid</td>' in page
    assert "benchsite/admin.css" in page  # the badge's style, on every admin page
    assert '<td class="field-gpu_score">–</td>' in page  # not measured: the scores' own dash


def test_the_list_gives_scores_to_one_decimal_as_every_page_does(admin_client):
    """A float as stored (93.96000000000001) widened the list past its box."""
    BenchmarkFactory(cpu_score=93.96000000000001, global_score=20.639999999999997)
    html = admin_client.get("/admin/benchmarks/benchmark/").content.decode()
    cells = dict(re.findall(r'<td class="field-(\w+_score)[^"]*">([^<]*)<', html))
    assert cells["cpu_score"] == "94.0" and cells["global_score"] == "20.6"
    # a global score of three categories says so, as the device list and the ranking do
    assert '20.6<abbr class="bt-partial" title="a global score of 3 of 5 categories' in html
    assert "93.96000000000001" not in html
    run = Benchmark.objects.get()  # its page too
    page = admin_client.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    assert "93.96000000000001" not in page and "20.639999999999997" not in page
    assert re.search(r"CPU score:</label>\s*<div class=\"readonly\">94\.0</div>", page)
