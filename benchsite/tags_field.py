"""The device form's tags field, on the device page and in the device list's bulk edits."""


class TagsField:
    """For the devices' ModelAdmin: the tags found by typing where the account may view tags."""

    autocomplete_fields = ("tags",)

    def get_autocomplete_fields(self, request):
        """The tags found by typing (Django's autocomplete asks the tags' own list, which takes
        the permission to view tags): an account that may change devices without it picks them
        in a list, where the search box said "The results could not be loaded"."""
        may_view = any(request.user.has_perm(f"inventory.{p}_tag") for p in ("view", "change"))
        return self.autocomplete_fields if may_view else ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        found = db_field.name == "tags" and tags_found(self, request)
        if found:
            # the field finds tags, it does not make them: typing a new one found nothing
            kwargs["help_text"] = "Type to find a tag; a new tag: the + beside the field."
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if found:
            # the name of the search box Select2 makes for it (benchsite/search_names.js)
            field.widget.attrs["data-search-label"] = "Find a tag"
        return field


def tags_found(modeladmin, request) -> bool:
    """Whether the account finds the tags by typing (else it picks them in a list)."""
    return "tags" in modeladmin.get_autocomplete_fields(request)
