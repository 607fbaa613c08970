"""What every form of the product (console and admin) shares."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields, or above them."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ListFilterForm(forms.Form):
    """A console list's search and filters (GET): Bootstrap classes on every widget, a bad
    value dropped (and shown) rather than an error page, and `created_from`/`created_to`, when
    the form has them, in order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if is_select else "form-control")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        """The valid filters only (an invalid one is dropped and shown as an error)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
