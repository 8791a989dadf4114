"""What the benchmarks app tells the apps above it (it imports none of them)."""

from django.dispatch import Signal

# Sent by services.benchmark_delete, inside its transaction, once the runs are gone and their
# devices' ranking figures follow: `device_ids`, the devices that lost runs (insights judges
# them and their CPU twins again once the deletion commits).
runs_deleted = Signal()

# Sent by rescoring.benchmark_rescore_selected (the admin's *Re-apply the scoring…*), inside its
# transaction, once the runs are rescored and their devices' figures follow: `device_ids`, the
# devices of the runs (insights judges them again once it commits, as `manage.py rescore
# --device` judges them).
runs_rescored = Signal()
