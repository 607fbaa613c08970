"""What every form of the product (console and admin) shares."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import pretty_name


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, each message once, beside its field.

    A service error names a field of the form, or a name the form maps to some of its fields
    in `service_error_fields` (the address's "location" is its latitude and longitude): the
    message goes on the first of them the user left empty, else the first, and the others are
    marked invalid too. What names no field goes above the form. A field that already has an
    error is left with it: the service saw that value missing because the form could not read
    it, so its message would be a second, misleading one. Errors keep their code and params
    (the metadata rows find their row by `params["key"]`).
    """
    if not hasattr(exc, "error_dict"):
        _add_new(form, None, exc.error_list)
        return
    groups = getattr(form, "service_error_fields", {})
    for name, errors in exc.error_dict.items():
        if name in form.fields:
            fields = (name,)
        elif name in groups:
            fields = tuple(groups[name])
        else:
            _add_new(form, None, errors)
            continue
        if any(form.has_error(field) for field in fields):
            continue
        cleaned = getattr(form, "cleaned_data", {})
        target = next((f for f in fields if cleaned.get(f) in (None, "")), fields[0])
        _add_new(form, target, errors)
        for partner in fields:
            if partner != target:
                _mark_invalid(form, partner, described_by=form[target].auto_id + "_error")


def _add_new(form: forms.BaseForm, field: str | None, errors: list[ValidationError]) -> None:
    shown = set(form.errors.get(field or NON_FIELD_ERRORS, ()))
    fresh = [error for error in errors if error.messages[0] not in shown]
    if fresh:
        form.add_error(field, fresh)


def _mark_invalid(form: forms.BaseForm, field: str, *, described_by: str) -> None:
    """Mark an input invalid whose message is shown beside another field of its group."""
    attrs = form.fields[field].widget.attrs
    attrs["class"] = " ".join(filter(None, [attrs.get("class", ""), "is-invalid"]))
    attrs["aria-invalid"] = "true"
    attrs["aria-describedby"] = described_by


class ListFilterForm(forms.Form):
    """A console list's search and filters (GET): Bootstrap classes on every widget, a bad
    value dropped (and shown) rather than an error page, and `created_from`/`created_to`, when
    the form has them, in order.

    A range that ends before it starts is shown as an error and still applied, so the list is
    empty: dropping one of its bounds would list what nobody asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if is_select else "form-control")
            if isinstance(field, forms.DateField):
                # What console.js shows when the browser will not send a half-typed date: the
                # words a full page shows for a date that does not parse.
                label = field.label or pretty_name(name)
                message = f"{label}: {field.error_messages['invalid']}"
                field.widget.attrs.setdefault("data-invalid-message", message)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            # A form-wide error: both dates stay in cleaned_data, so both bounds apply.
            self.add_error(None, "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        """The valid filters only (a value that does not parse is dropped and shown as an
        error; an inverted date range is kept, and shown as an error)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
