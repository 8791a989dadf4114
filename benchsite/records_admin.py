"""The admin of records that submissions write (runs, hardware snapshots): viewed and deleted
in the admin, never added or edited there."""

from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.http import HttpResponseRedirect
from django.urls import reverse


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False  # written by submissions

    def has_change_permission(self, request, obj=None):
        return False  # a record as measured: its page is a view, with no Save button

    def response_delete(self, request, obj_display, obj_id):
        # Django sends whoever cannot change the model to the admin's index after a deletion;
        # here deleting is allowed, so back to the list it was deleted from
        response = super().response_delete(request, obj_display, obj_id)
        if isinstance(response, HttpResponseRedirect) and self.has_view_permission(request):
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_changelist",
                current_app=self.admin_site.name,
            )
            context = {"preserved_filters": self.get_preserved_filters(request), "opts": opts}
            return HttpResponseRedirect(add_preserved_filters(context, url))
        return response
