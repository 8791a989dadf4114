from django.apps import AppConfig
from django.db.backends.signals import connection_created


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self):
        from . import checks, folding  # noqa: F401 (checks: registers the tags' check)

        folding.install()
        connection_created.connect(folding.connected, dispatch_uid="inventory.folding")
