"""What the inventory app tells the apps above it (it imports none of them)."""

from django.dispatch import Signal

# Sent by services.snapshot_delete, inside its transaction, once the snapshots are gone and
# their devices point at their newest remaining one: `cpu_model_keys`, each affected device's
# pk with its CPU model key (inventory.columns.model_key) before the deletion (insights judges
# the devices again, and the machines of a CPU model one of them left, once it commits).
snapshots_deleted = Signal()

# Sent by services.device_update and the CSV import, inside their transaction, when devices get
# a retirement date they did not have: `device_ids`. A retired machine leaves the fleet's live
# views (insights closes its open attention items, in that transaction).
devices_retired = Signal()

# Sent inside their transaction when a person takes devices' retirement date away (an edit, the
# CSV import), or a bench.sh run dated on or after the retirement brings a machine back into
# service (runs.device_run_record): `device_ids`, and `by_run` (True: the run's judgment follows,
# right after the commit). What their retirement closed opens again (a retirement by mistake,
# undone; a machine back at work), then a run judges it as always.
devices_returned = Signal()

# Sent by the CSV import's preview (services.devices_service_foreseen), which writes nothing:
# `retiring` and `returning`, the ids of the devices the file would retire and bring back. A
# receiver answers what that would do, {device_id: one sentence a person reads}, in one query
# for all of them (insights: the attention items a retirement closes or an undo reopens).
devices_service_foreseen = Signal()
