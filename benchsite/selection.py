"""A list's selection passed on by a page between the list and its action (the bulk edits'
form, Delete selected's confirmation), to be posted back with the person's answer.

"Select all N" of the list (every page, as filtered and searched) is passed on as such: the
page posts back to the list's own address (its query string: the filters, the search) with
`select_across`, and the list selects them again. Django's way, an id a field, stops at 1,000
(DATA_UPLOAD_MAX_NUMBER_FIELDS): past it the answer was a 400 "Bad Request" page."""

from collections.abc import Callable, Iterable

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

TEMPLATE = "admin/benchsite/selection_passed_on.html"  # the hidden fields, for {% include %}


def selection_passed_on(request, pks: Callable[[], Iterable]) -> dict:
    """The context of the page's hidden fields: across the list, the ids the list posted (its
    page's ticked boxes, which Django wants with select_across) and the flag; else `pks()`,
    the selected objects' ids (a page of the list at the most)."""
    across = request.POST.get("select_across") == "1"
    return {
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME) if across else list(pks()),
        "select_across": across,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
