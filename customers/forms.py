"""Console forms: they parse what staff type; the rules live in customers.services.

A form's clean() runs the service's own checks (customer_data_clean, address_data_clean)
so errors appear on their fields; the view then calls the service, whose ValidationError (a
race, a photo Pillow refuses) is put back on the form with `add_service_errors`.
"""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from customers.models import Address, Customer, CustomerGroup, CustomerNote, Tag
from customers.services import (
    ADDRESS_FIELDS,
    NAME_MAX_LENGTH,
    address_data_clean,
    customer_data_clean,
    metadata_clean,
    tags_clean,
)
from stores.forms import ListFilterForm, add_service_errors
from stores.standards import choices_with, country_choices

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
    group = forms.ModelChoiceField(
        required=False, queryset=CustomerGroup.objects.none(), empty_label="Any group"
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
        self.fields["group"].queryset = CustomerGroup.objects.filter(store=store)


class MetadataRowsInput(forms.Widget):
    """The metadata card's key and value inputs (`meta_key`, `meta_value`, one pair a row),
    which customer_form.html draws itself, each row with its own errors."""

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", lambda key: data.get(key) or [])
        return list(zip(getlist("meta_key"), getlist("meta_value"), strict=False))

    def value_omitted_from_data(self, data, files, name):
        return False


class MetadataField(forms.Field):
    """Key/value rows read into a dict. Each problem is an error with the row's index in its
    params, so the template shows it beside that row."""

    widget = MetadataRowsInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> dict:
        metadata, errors = {}, []
        for row, (key, text) in enumerate(value or ()):
            key = key.strip()
            if not key and not text.strip():
                continue
            if not key:
                errors.append(
                    ValidationError(
                        "Every metadata value needs a key.", code="key_missing", params={"row": row}
                    )
                )
            elif key in metadata:
                errors.append(
                    ValidationError(
                        "The metadata key “%(key)s” appears twice.",
                        code="key_twice",
                        params={"row": row, "key": key},
                    )
                )
            metadata[key] = text
        # The rules on keys and values are the service's; its errors name their key, which
        # places them on their row. Rows refused above are not checked twice.
        try:
            metadata_clean({key: text for key, text in metadata.items() if key})
        except ValidationError as exc:
            errors += exc.error_dict["metadata"]
        if errors:
            raise ValidationError(errors)
        return metadata


class TagsField(forms.CharField):
    """Tags typed as "vip, newsletter". The rules on a tag (its length) are the service's,
    whose message shows on this field; a long tag is refused, never cut."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return tags_clean(value.split(","))
        except ValidationError as exc:
            raise ValidationError(exc.error_dict["tags"]) from exc


SERVICE_CHECKED = ("first_name", "last_name", "birthday", "metadata")


class CustomerForm(forms.Form):
    # The length is the service's rule (its message, not a second one); the browser stops there.
    first_name = forms.CharField(widget=forms.TextInput(attrs={"maxlength": NAME_MAX_LENGTH}))
    last_name = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"maxlength": NAME_MAX_LENGTH})
    )
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
    customer_group = forms.ModelChoiceField(
        label="Group",
        required=False,
        queryset=CustomerGroup.objects.none(),
        empty_label="No group",
    )
    metadata = MetadataField()  # not in the crispy layout: the metadata card draws its rows

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
                "customer_group": customer.customer_group_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["customer_group"].queryset = CustomerGroup.objects.filter(store=store)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("first_name", css_class="col-md-6"),
                Column("last_name", css_class="col-md-6"),
            ),
            Row(Column("email", css_class="col-md-6"), Column("phone", css_class="col-md-6")),
            Row(Column("birthday", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            Row(
                Column("customer_group", css_class="col-md-6"),
                Column("photo", css_class="col-md-6"),
            ),
        )

    @property
    def metadata_rows(self) -> list[dict]:
        """The rows to draw: key, value and the errors about that row."""
        return self._metadata_layout()[0]

    @property
    def metadata_errors(self) -> list[str]:
        """Errors about the metadata as a whole, shown once at the top of its card."""
        return self._metadata_layout()[1]

    def _metadata_layout(self) -> tuple[list[dict], list[str]]:
        # The form's errors name their row; a service's name their key (params["key"]).
        if self.is_bound:
            pairs = self["metadata"].data
        elif self.customer is not None:
            pairs = [(key, _as_text(value)) for key, value in self.customer.metadata.items()]
        else:
            pairs = []
        rows = [
            {"key": key, "value": value, "errors": [], "bad_key": False, "bad_value": False}
            for key, value in pairs
        ]
        loose = []
        errors = self.errors.get("metadata") if self.is_bound else None
        for error in errors.as_data() if errors else ():
            params = error.params or {}
            row = params.get("row")
            if row is None and "key" in params:
                keys = [r["key"].strip() for r in rows]
                row = keys.index(params["key"]) if params["key"] in keys else None
            if row is not None and row < len(rows):
                rows[row]["errors"] += error.messages
                # The input the error is about: the value ("value_too_long"), else the key.
                part = "bad_value" if (error.code or "").startswith("value") else "bad_key"
                rows[row][part] = True
            else:
                loose += error.messages
        return rows, loose

    def clean(self):
        cleaned = super().clean()
        # The service's rules (names, email and phone, birthday, metadata) on what parsed, so
        # that its errors show with the form's own.
        data = {field: cleaned[field] for field in SERVICE_CHECKED if field in cleaned}
        data.update({field: cleaned.get(field, "") for field in ("email", "phone")})
        try:
            cleaned.update(customer_data_clean(self.store, data, customer=self.customer))
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
                "customer_group",
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

    # The service's "location" error is about this pair of fields.
    service_error_fields = {"location": ("latitude", "longitude")}

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        # A select of the ISO 3166-1 list; the field stays text, address_data_clean checks it.
        # A new address starts in the store's country.
        if not self.instance.pk:
            self.initial.setdefault("country", customer.store.phone_region)
        self.fields["country"].help_text = ""
        self.fields["country"].widget = forms.Select(
            choices=[("", "—"), *choices_with(country_choices(), self["country"].value() or "")]
        )
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


class NoteForm(forms.Form):
    """A staff note (customers.services.note_create / note_update check it again)."""

    body = forms.CharField(
        label="Note",
        max_length=CustomerNote.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pinned = forms.BooleanField(label="Pin to the top", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
