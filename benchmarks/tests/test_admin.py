"""The benchmark's own admin page: read-only, and readable by a person."""

import html

import pytest

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
    assert '["busy", "noisy"]' not in page
    results = page.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert results.startswith('{\n  "cpu": {\n    "score": 63.1,')
    assert '"conditions": {\n    "load": 1.7\n  }\n}' in results
    assert 'name="results"' not in page  # read-only: no field to post a changed document
