"""The real server less the attention evaluation that follows each stored submission: what
`perf/ingest.py --evaluation-cost` runs beside the real one, in turn (issue 14: a submission
with the evaluation keeps within 20 % of the throughput without it). Everything else — the
middleware, DRF, the token check, the validation, the one transaction that stores the
snapshot and the run — is the server's own code. For measuring only.

    gunicorn -c gunicorn.conf.py perf.without_evaluation:application
"""

import importlib

from benchsite.wsgi import application  # noqa: F401 (the application gunicorn serves)

# imported once Django is set up (above); benchmarks.views.SubmissionViewSet has no after_store:
# the submission is stored and answered
importlib.import_module("benchsite.submission_api").SubmissionViewSet.after_store = None
