"""Console forms: they parse what staff type; the rules live in customers.services.

A form's clean() runs the service's own checks (customer_contact_clean, address_data_clean)
so errors appear on their fields; the view then calls the service, whose ValidationError (a
race, a photo Pillow refuses) is put back on the form with `add_service_errors`.
"""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from customers.models import Address, Customer, Tag
from customers.services import ADDRESS_FIELDS, address_data_clean, customer_contact_clean
from stores.forms import ListFilterForm, add_service_errors

SORTS = {
    "name": ("first_name", "last_name", "id"),
    "-name": ("-first_name", "-last_name", "-id"),
    "email": ("email", "id"),
    "-email": ("-email", "-id"),
    "orders": ("total_orders_count", "id"),
    "-orders": ("-total_orders_count", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


class CustomerFilterForm(ListFilterForm):
    """The list's search box and filters (GET); bad values are ignored, never an error page."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Customer.Status.choices]
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Registered and guests"), ("registered", "Registered"), ("guest", "Guests")],
    )
    tag = forms.ModelChoiceField(
        required=False, queryset=Tag.objects.none(), empty_label="Any tag", to_field_name="name"
    )
    orders = forms.ChoiceField(
        required=False,
        choices=[("", "With or without orders"), ("yes", "Has orders"), ("no", "No orders")],
    )
    created_from = forms.DateField(
        required=False, label="Created from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        required=False, label="Created to", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS])

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = Tag.objects.filter(store=store).order_by("name")


class TagsField(forms.CharField):
    """Tags typed as "vip, newsletter"."""

    def to_python(self, value):
        value = super().to_python(value)
        return [tag.strip()[:64] for tag in value.split(",") if tag.strip()]


class CustomerForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False, max_length=254)
    phone = forms.CharField(
        required=False,
        max_length=32,
        help_text="Any common format; numbers without a country code use the store's country.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    birthday = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    photo = forms.ImageField(
        required=False,
        help_text="JPEG, PNG or WebP, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    tags = TagsField(
        required=False,
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"list": "tag-options", "autocomplete": "off"}),
    )

    def __init__(self, *args, store, customer: Customer | None = None, **kwargs):
        self.store = store
        self.customer = customer
        if customer is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "email": customer.email,
                "phone": customer.phone,
                "birthday": customer.birthday,
                "photo": customer.photo,
                "tags": ", ".join(tag.name for tag in customer.tags.all()),
            }
        super().__init__(*args, **kwargs)
        self.metadata_rows = self._metadata_rows()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("first_name", css_class="col-md-6"),
                Column("last_name", css_class="col-md-6"),
            ),
            Row(Column("email", css_class="col-md-6"), Column("phone", css_class="col-md-6")),
            Row(Column("birthday", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            "photo",
        )

    def _metadata_rows(self) -> list[tuple[str, str]]:
        if self.is_bound:
            keys = self.data.getlist("meta_key")
            values = self.data.getlist("meta_value")
            return list(zip(keys, values, strict=False))
        if self.customer is not None:
            return [(key, _as_text(value)) for key, value in self.customer.metadata.items()]
        return []

    def clean(self):
        cleaned = super().clean()
        metadata = {}
        for key, value in self.metadata_rows:
            key = key.strip()
            if not key and not value.strip():
                continue
            if not key:
                self.add_error(None, "Every metadata value needs a key.")
            elif key in metadata:
                self.add_error(None, f"The metadata key “{key}” appears twice.")
            elif len(key) > 64:
                self.add_error(None, "Metadata keys have at most 64 characters.")
            metadata[key] = value
        cleaned["metadata"] = metadata
        contact = {field: cleaned.get(field, "") for field in ("email", "phone")}
        try:
            cleaned.update(
                customer_contact_clean(
                    self.store, contact, exclude_pk=self.customer.pk if self.customer else None
                )
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned

    def service_data(self) -> dict:
        """What customer_create / customer_update take; the photo only when it changes."""
        data = {
            field: self.cleaned_data[field]
            for field in (
                "first_name",
                "last_name",
                "email",
                "phone",
                "birthday",
                "tags",
                "metadata",
            )
        }
        photo = self.cleaned_data.get("photo")
        if photo is False:  # the "clear" box
            data["photo"] = None
        elif photo and "photo" in self.changed_data:
            data["photo"] = photo
        return data


def _as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class CustomerCreateForm(CustomerForm):
    card = forms.ModelChoiceField(
        required=False,
        queryset=None,
        empty_label="Do not enrol",
        label="Loyalty card",
        help_text="Enrol the new customer; the card's welcome stamps are applied.",
    )

    def __init__(self, *args, store, cards, **kwargs):
        super().__init__(*args, store=store, **kwargs)
        self.fields["card"].queryset = cards
        self.helper.layout.append("card")


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ADDRESS_FIELDS
        labels = {"street1": "Street address", "street2": "Apartment, suite, etc."}
        widgets = {"instructions": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["country"].widget.attrs.update({"maxlength": 2, "placeholder": "US"})
        self.fields["phone"].widget.attrs.update({"type": "tel"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "name",
            "street1",
            "street2",
            Row(
                Column("building", css_class="col-md-4"),
                Column("neighborhood", css_class="col-md-4"),
                Column("district", css_class="col-md-4"),
            ),
            Row(
                Column("city", css_class="col-md-4"),
                Column("province", css_class="col-md-4"),
                Column("postal_code", css_class="col-md-4"),
            ),
            Row(Column("country", css_class="col-md-4"), Column("phone", css_class="col-md-8")),
            Row(
                Column("latitude", css_class="col-md-6"), Column("longitude", css_class="col-md-6")
            ),
            "security_access_code",
            "instructions",
            "is_default",
        )

    def _post_clean(self):
        # No model validation here: address_data_clean and the service hold the rules.
        try:
            self.service_data = address_data_clean(
                self.customer, dict(self.cleaned_data), partial=False
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
