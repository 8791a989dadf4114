from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self):
        from benchmarks.signals import runs_deleted, runs_rescored
        from inventory.signals import (
            devices_retired,
            devices_returned,
            devices_service_foreseen,
            snapshots_deleted,
        )

        from . import (
            checks,  # noqa: F401 (registers the NOTIFY_URLS check)
            receivers,
        )

        runs_deleted.connect(receivers.runs_deleted, dispatch_uid="insights.runs_deleted")
        runs_rescored.connect(receivers.runs_rescored, dispatch_uid="insights.runs_rescored")
        snapshots_deleted.connect(
            receivers.snapshots_deleted, dispatch_uid="insights.snapshots_deleted"
        )
        devices_retired.connect(receivers.devices_retired, dispatch_uid="insights.devices_retired")
        devices_returned.connect(
            receivers.devices_returned, dispatch_uid="insights.devices_returned"
        )
        devices_service_foreseen.connect(
            receivers.devices_service_foreseen, dispatch_uid="insights.devices_service_foreseen"
        )
