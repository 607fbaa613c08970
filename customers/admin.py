"""Customers in Django admin: a face over customers.services.

Every write a customer page makes goes through a service: the customer itself
(customer_create / customer_update / customer_delete), their addresses (address_*) and their
loyalty enrolments (card_enrol, in console/admin.py, which adds the enrolment and order inlines
from above the customers app). The forms run the service's own checks first, so a duplicate
email or a bad phone comes back as a field error instead of an error page. The timeline, codes,
tokens and sign-in identities are written by services only, and read-only here.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerToken,
    Device,
    ExternalReference,
    OutboundMessage,
    SocialIdentity,
    Tag,
    VerificationCode,
)
from customers.phones import format_phone_display
from customers.selectors import customer_order, customer_search, customer_tally
from customers.services import (
    ADDRESS_FIELDS,
    CUSTOMER_FIELDS,
    address_create,
    address_data_clean,
    address_delete,
    address_update,
    customer_create,
    customer_data_clean,
    customer_delete,
    customer_update,
)
from stores.admin import ReadOnlyAdminMixin, adopt_saved
from stores.counting import Tally
from stores.forms import add_service_errors
from stores.standards import choices_with, country_choices

# --- Forms: the service's checks, run while the form can still show them --------------------


CHECKED_FIELDS = ("first_name", "last_name", "birthday", "metadata")


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "store",
            "first_name",
            "last_name",
            "email",
            "phone",
            "birthday",
            "photo",
            "tags",
            "is_guest",
            "metadata",
        ]

    def clean(self):
        cleaned = super().clean()
        store = cleaned.get("store") if "store" in self.fields else self.instance.store
        if store is None:
            return cleaned
        # The service's rules on what is saved: names, contact (a lower-case email and an E.164
        # phone, free in the store), birthday and metadata (a stored value is not judged again).
        checked = [f for f in CHECKED_FIELDS if not self.instance.pk or f in self.changed_data]
        data = {field: cleaned[field] for field in (*checked, "email", "phone") if field in cleaned}
        customer = self.instance if self.instance.pk else None
        try:
            cleaned.update(customer_data_clean(store, data, customer=customer))
        except ValidationError as exc:
            add_service_errors(self, exc)
        if (
            not self.has_error("email")
            and not self.has_error("phone")
            and not cleaned.get("email")
            and not cleaned.get("phone")
            and not self.instance.is_closed
        ):
            self.add_error("email", "Enter an email or a phone number.")
        foreign = [tag.name for tag in cleaned.get("tags") or () if tag.store_id != store.pk]
        if foreign:
            self.add_error("tags", f"Not tags of {store}: {', '.join(foreign)}.")
        return cleaned

    def service_data(self, *, change: bool) -> dict:
        """The cleaned values in the shape customer_create / customer_update take."""
        names = [name for name in self.cleaned_data if name in CUSTOMER_FIELDS | {"is_guest"}]
        if change:
            names = [name for name in names if name in self.changed_data]
        data = {name: self.cleaned_data[name] for name in names}
        if "tags" in data:
            data["tags"] = [tag.name for tag in data["tags"]]
        if "photo" in data:
            data["photo"] = data["photo"] or None  # False is the "clear" box: remove the photo
        return data


class AddressAdminForm(forms.ModelForm):
    """An address form checked by the address service (phone, country, location)."""

    class Meta:
        model = Address
        fields = ["customer", *ADDRESS_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "country" in self.fields:  # a select of ISO 3166-1; address_data_clean checks it
            current = self["country"].value() or ""
            self.fields["country"].widget = forms.Select(
                choices=[("", "—"), *choices_with(country_choices(), current)]
            )

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer") or getattr(self.instance, "customer", None)
        if self.errors or customer is None or customer.store_id is None:
            return cleaned
        names = [name for name in self.fields if name in ADDRESS_FIELDS and name in cleaned]
        if self.instance.pk:
            names = [name for name in names if name in self.changed_data]
            if {"latitude", "longitude"} & set(names):  # the service checks them as a pair
                names += [name for name in ("latitude", "longitude") if name in self.fields]
        data = {name: cleaned[name] for name in dict.fromkeys(names)}
        try:
            self.service_data = address_data_clean(customer, data, partial=bool(self.instance.pk))
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


# --- Customer -------------------------------------------------------------------------------


class AddressInline(admin.TabularInline):
    model = Address
    form = AddressAdminForm
    fields = [
        "name",
        "street1",
        "street2",
        "city",
        "province",
        "postal_code",
        "country",
        "phone",
        "is_default",
    ]
    extra = 0
    show_change_link = True


class TallyPaginator(Paginator):
    """The changelist's paginator over a million customers: counted up to the cap, then the
    planner's estimate of the whole list, or "2,000+" for a search or a filter (`filtered`),
    as the console counts (customers.selectors.customer_tally). The admin's own paginator
    counts every row on every page (~750 ms at 1,000,000 customers)."""

    def __init__(self, *args, filtered: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.filtered = filtered

    @cached_property
    def tally(self) -> Tally:
        return customer_tally(self.object_list, filtered=self.filtered)

    @cached_property
    def count(self) -> int:
        return self.tally.value

    def page(self, number):
        # Few matches are fetched and sorted rather than met walking the order's index
        # (customer_order): "ada allen" walked 40,000 customers for 50 rows (155 ms).
        order = list(self.object_list.query.order_by)
        if order and all(isinstance(key, str) for key in order) and _own_column(order[0]):
            self.object_list = customer_order(self.object_list, order, tally=self.tally)
        return super().page(number)


def _own_column(key: str) -> bool:
    """Whether an ordering key is a column of the customer row itself (not a relation, whose
    order is the related model's)."""
    name = key.removeprefix("-")
    if name == "pk":
        return True
    try:
        return not Customer._meta.get_field(name).is_relation
    except FieldDoesNotExist:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = [
        "display_name",
        "email",
        "phone_display",
        "status",
        "is_guest",
        "total_orders_count",
        "tag_names",
        "store",
        "created_at",
    ]
    list_filter = ["store", "status", "is_guest", "tags"]
    list_select_related = ["store"]
    # Shown as the search box's fields; get_search_results hands the term to the selector.
    search_fields = ["first_name", "last_name", "email", "phone"]
    search_help_text = (
        "Name, email, phone (typed any way), card code, external id or customer id (customer_…)."
    )
    show_full_result_count = False
    # Newest first through the primary key: the model's order (created_at) has an index per
    # store only, and over every store PostgreSQL sorted all 1,000,000 rows for a page (470 ms).
    ordering = ["-id"]
    # Rendering a row of this changelist costs ~0.5 ms (Django's admin_list, 10 columns): 100
    # rows were most of a page's time. 50, with the search to find the rest.
    list_per_page = 50
    autocomplete_fields = ["tags"]
    readonly_fields = [
        "public_id",
        "slug",
        "status",
        "total_orders_count",
        "orders_link",
        "has_password",
        "last_login_at",
        "created_at",
        "updated_at",
        "closed_at",
    ]
    fieldsets = [
        (None, {"fields": ["store", "first_name", "last_name", "email", "phone", "birthday"]}),
        ("Profile", {"fields": ["photo", "tags", "is_guest", "metadata"]}),
        (
            "Record",
            {
                "fields": [
                    "public_id",
                    "slug",
                    "status",
                    "total_orders_count",
                    "orders_link",
                    "has_password",
                    "last_login_at",
                    "created_at",
                    "updated_at",
                    "closed_at",
                ]
            },
        ),
    ]
    inlines = [AddressInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("store").prefetch_related("tags")

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, customer):
        # Django's own markup, written out: it renders a CheckboxInput through the form
        # templates, ~0.25 ms a row, a fifth of the changelist's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            customer.pk,
            f"Select this object for an action - {customer}",
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # Sorting (o), the page (p) and facets list the same rows; anything else narrows them.
        filtered = any(name not in ("o", "p", "_facets") for name in request.GET)
        return TallyPaginator(
            queryset, per_page, orphans, allow_empty_first_page, filtered=filtered
        )

    def get_search_results(self, request, queryset, search_term):
        # The product's one customer search (the console and the APIs use it too): it finds a
        # phone however it is typed, and on PostgreSQL each column it ORs has a trigram index,
        # which plain admin search_fields would miss for the phone (PITFALLS, "Search").
        return customer_search(queryset, search_term), False

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # public id, slug and dates do not exist before the customer does
            return [(name, options) for name, options in self.fieldsets if name != "Record"]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj:  # customer_update moves neither: a customer stays in its store and kind
            return [*self.readonly_fields, "store", "is_guest"]
        return self.readonly_fields

    @admin.display(description="Name", ordering="first_name")
    def display_name(self, customer):
        return customer.name

    @admin.display(description="Phone", ordering="phone")
    def phone_display(self, customer):
        # As the customer's store reads it; the change form keeps E.164.
        return format_phone_display(customer.phone, customer.store.phone_region)

    @admin.display(description="Tags")
    def tag_names(self, customer):
        return ", ".join(tag.name for tag in customer.tags.all())

    @admin.display(description="Password set", boolean=True)
    def has_password(self, customer):
        return customer.has_password

    @admin.display(description="Orders")
    def orders_link(self, customer):
        url = reverse("admin:orders_order_changelist")
        return format_html(
            '<a href="{}?customer__id__exact={}">All orders of this customer</a>', url, customer.pk
        )

    # Writes: through the services, with the signed-in staff user as the actor.

    def save_model(self, request, obj, form, change):
        data = form.service_data(change=change)
        if change:
            # The form has already copied its values onto `obj`; the service compares against
            # the stored row to know what changed, so it gets a fresh one.
            stored = Customer.objects.select_related("store").get(pk=obj.pk)
            customer = customer_update(customer=stored, data=data, actor_user=request.user)
        else:
            customer = customer_create(
                store=form.cleaned_data["store"], actor_user=request.user, **data
            )
        adopt_saved(obj, customer)

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the tags were set by the service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        customer = form.instance
        new, changed, deleted = [], [], []
        if formset.model is Address:
            for address_form in formset.deleted_forms:
                if address_form.instance.pk:
                    address = Address.objects.get(pk=address_form.instance.pk)
                    address_delete(address=address, actor_user=request.user)
                    deleted.append(address)
            for address_form in formset.forms:
                if address_form in formset.deleted_forms or not address_form.has_changed():
                    continue
                if address_form.instance.pk:
                    stored = Address.objects.select_related("customer__store").get(
                        pk=address_form.instance.pk
                    )
                    address = address_update(
                        address=stored, data=address_form.service_data, actor_user=request.user
                    )
                    changed.append((address, address_form.changed_data))
                else:
                    address = address_create(
                        customer=customer, data=address_form.service_data, actor_user=request.user
                    )
                    new.append(address)
        else:
            new = self.save_other_formset(request, customer, formset)
        # What the admin's history message reads (formset.save() would have set them).
        formset.new_objects, formset.changed_objects = new, changed
        formset.deleted_objects = deleted

    def save_other_formset(self, request, customer, formset) -> list:
        """Saves an inline of an app above customers (console/admin.py adds them); returns the
        new objects."""
        return []

    def get_deleted_objects(self, objs, request):
        # Deleting a customer is one business action (customer_delete); the rows it takes along
        # (ledger, timeline, tokens) are read-only in the admin, which must not block it.
        to_delete, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return to_delete, counts, set(), protected

    def delete_model(self, request, obj):
        customer_delete(customer=obj, actor_user=request.user)

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            customer_delete(customer=customer, actor_user=request.user)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "store"]
    list_filter = ["store"]
    list_select_related = ["store"]
    search_fields = ["name"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    form = AddressAdminForm
    list_display = ["__str__", "name", "customer", "is_default", "country", "created_at"]
    list_filter = ["is_default"]
    list_select_related = ["customer"]
    search_fields = ["=public_id", "^postal_code", "street1"]
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["customer", *ADDRESS_FIELDS]}),
        ("Record", {"fields": ["public_id", "created_at", "updated_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.fieldsets[:1]

    def get_readonly_fields(self, request, obj=None):
        # address_update keeps an address with its customer.
        return [*self.readonly_fields, "customer"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            stored = Address.objects.select_related("customer__store").get(pk=obj.pk)
            address = address_update(
                address=stored, data=form.service_data, actor_user=request.user
            )
        else:
            address = address_create(
                customer=form.cleaned_data["customer"],
                data=form.service_data,
                actor_user=request.user,
            )
        adopt_saved(obj, address)

    def delete_model(self, request, obj):
        address_delete(address=obj, actor_user=request.user)

    def delete_queryset(self, request, queryset):
        for address in queryset:
            address_delete(address=address, actor_user=request.user)


class ExternalReferenceForm(forms.ModelForm):
    class Meta:
        model = ExternalReference
        fields = ["customer", "source", "external_id"]

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer") or getattr(self.instance, "customer", None)
        source, external_id = cleaned.get("source"), cleaned.get("external_id")
        if customer is not None and source and external_id:
            # The store comes from the customer; the unique constraint is per store.
            self.instance.store_id = customer.store_id
            taken = ExternalReference.objects.filter(
                store_id=customer.store_id, source=source, external_id=external_id
            ).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "external_id", "This external id already belongs to another customer."
                )
        return cleaned


@admin.register(ExternalReference)
class ExternalReferenceAdmin(admin.ModelAdmin):
    form = ExternalReferenceForm
    list_display = ["external_id", "source", "customer", "store", "created_at"]
    list_filter = ["store"]
    list_select_related = ["customer", "store"]
    search_fields = ["=external_id"]
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    readonly_fields = ["store", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "customer"] if obj else self.readonly_fields


class UnlinkOnlyAdminMixin:
    """Rows a shopper's app or sign-in creates: staff may look and remove, not add or edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SocialIdentity)
class SocialIdentityAdmin(UnlinkOnlyAdminMixin, admin.ModelAdmin):
    """Created only by a verified sign-in; staff may unlink one, never add one."""

    list_display = ["provider", "subject", "customer", "store", "created_at"]
    list_filter = ["provider", "store"]
    list_select_related = ["customer", "store"]
    search_fields = ["=subject"]
    fields = ["store", "customer", "provider", "subject", "created_at"]
    readonly_fields = fields


@admin.register(Device)
class DeviceAdmin(UnlinkOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["public_id", "platform", "customer", "store", "created_at", "updated_at"]
    list_filter = ["platform", "store"]
    list_select_related = ["customer", "store"]
    search_fields = ["=public_id"]
    fields = ["public_id", "store", "customer", "platform", "token", "created_at", "updated_at"]
    readonly_fields = fields


@admin.register(VerificationCode)
class VerificationCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # No code_hash anywhere: a hash of a 6-digit code is as good as the code.
    list_display = [
        "identity",
        "purpose",
        "store",
        "attempts",
        "expires_at",
        "used_at",
        "created_at",
    ]
    list_filter = ["purpose", "store"]
    list_select_related = ["store"]
    search_fields = ["=identity"]
    show_full_result_count = False
    fields = [
        "store",
        "customer",
        "purpose",
        "identity",
        "attempts",
        "expires_at",
        "used_at",
        "created_at",
    ]
    readonly_fields = fields


@admin.register(CustomerToken)
class CustomerTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # No key_hash: it is the lookup key of a live session and tells staff nothing.
    list_display = ["customer", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["customer"]
    search_fields = ["=customer__public_id"]
    show_full_result_count = False
    fields = ["customer", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The timeline: written by the services, never edited."""

    list_display = ["created_at", "type", "customer", "store", "actor"]
    list_filter = ["type", "store", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["customer", "store", "actor_user"]
    search_fields = ["=customer__public_id", "=customer__email"]
    search_help_text = "A customer's public id or email."
    show_full_result_count = False
    fields = ["store", "customer", "type", "actor_user", "actor_customer", "data", "created_at"]
    readonly_fields = fields

    @admin.display(description="By")
    def actor(self, event):
        return event.actor_label


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Messages to customers and what became of them. The text is not shown: until it is sent it
    may hold a verification code (and it is dropped once sent or failed)."""

    list_display = ["kind", "channel", "to", "store", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "channel", "store"]
    list_select_related = ["store"]
    search_fields = ["=to", "=key"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    fields = [
        "store",
        "customer",
        "key",
        "kind",
        "channel",
        "to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields
