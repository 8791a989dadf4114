"""The one receiver of this app: it sees every deleted Document, however the deletion started.

A receiver because a device's deletion (inventory.services.device_delete, the API, the admin)
cascades to its documents from inventory, which must not import documents. It holds no logic:
it only schedules services.deleted_document_file_release for after the commit, when the deletion is
final; a rolled-back deletion schedules nothing.
"""

from django.db import transaction

from . import services


def document_deleted(sender, instance, using, **kwargs):
    sha256, stored_name = instance.sha256, instance.stored_name

    def release_stored_file():
        services.deleted_document_file_release(sha256=sha256, stored_name=stored_name)

    # robust: the deletion is committed by then, so any other error is logged, not raised
    transaction.on_commit(release_stored_file, using=using, robust=True)
