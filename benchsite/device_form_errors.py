"""What is wrong on the device page, said where a person finds it: the form's and its inlines'
errors by field label and row, for the messages at the top of the page (benchsite.device_admin),
an inline's error being a few screens down."""


def form_errors(context) -> list[tuple[str, str]]:
    """(where, what) of each error of the device form and its inlines, as a person finds them
    on the page: the field's label, an inline's name with the row's number."""
    found = []
    form = context["adminform"].form
    for name, errors in form.errors.items():
        # the bound field's label: the field's own, or its name made readable ("File")
        label = form[name].label if name in form.fields else "Device"
        found += [(str(label), str(error)) for error in errors]
    for inline in context.get("inline_admin_formsets", ()):
        formset, title = inline.formset, str(inline.opts.verbose_name_plural).capitalize()
        found += [(title, str(error)) for error in formset.non_form_errors()]
        for row, row_errors in enumerate(formset.errors, start=1):
            for name, errors in row_errors.items():
                row_form = formset.forms[row - 1]
                where = f"{title}, row {row}"
                if name in row_form.fields:
                    where += f", {row_form[name].label}"
                found += [(where, str(error)) for error in errors]
    return found
