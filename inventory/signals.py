"""What the inventory app tells the apps above it (it imports none of them)."""

from django.dispatch import Signal

# Sent by services.snapshot_delete, inside its transaction, once the snapshots are gone and
# their devices point at their newest remaining one: `cpu_model_keys`, each affected device's
# pk with its CPU model key (inventory.columns.model_key) before the deletion (insights judges
# the devices again, and the machines of a CPU model one of them left, once it commits).
snapshots_deleted = Signal()
