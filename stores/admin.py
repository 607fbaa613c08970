"""Stores, staff, API keys and products in Django admin.

The admin is one more face over the services: a store is created by `store_create` (which issues
its keys), keys are revoked by `api_key_revoke`, and a raw key is shown once, on the page that
follows its creation, and never stored. The first section holds the pieces every app's admin uses.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from stores.models import ApiKey, Product, Store, StoreInvitation, StoreMembership
from stores.money import money_format
from stores.services import (
    STORE_SETTINGS,
    api_key_create,
    api_key_revoke,
    product_save,
    store_create,
    store_update,
)
from stores.standards import choices_with

# --- Shared by every app's admin ------------------------------------------------------------


class ReadOnlyAdminMixin:
    """For rows that only services write (ledgers, timelines, secrets): view, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def adopt_saved(obj, saved) -> None:
    """Make the admin's unsaved `obj` the row a service just saved, so that the log entry, the
    inlines and the redirect that follow all point at it."""
    obj.pk = saved.pk
    obj.refresh_from_db()
    obj._state.adding = False


class LatestRowsFormSet(BaseInlineFormSet):
    """An inline of a long history showing only its newest rows (the model orders newest
    first), so a page stays the same size however long the history grows."""

    limit = 20

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[: self.limit]
        return self._queryset


# --- Stores ---------------------------------------------------------------------------------

ISSUED_KEYS_TEMPLATE = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}
{% block breadcrumbs %}<div class="breadcrumbs"><a href="{% url 'admin:index' %}">Home</a>
&rsaquo; <a href="{% url 'admin:stores_store_changelist' %}">Stores</a> &rsaquo; API keys</div>
{% endblock %}
{% block content %}
<p>Copy these keys now. Only a hash of each is kept: they cannot be shown again.</p>
<table>
  <thead><tr><th>Store</th><th>Kind</th><th>Key</th></tr></thead>
  <tbody>{% for store, kind, raw in keys %}
    <tr><td>{{ store }}</td><td>{{ kind }}</td><td><code>{{ raw }}</code></td></tr>
  {% endfor %}</tbody>
</table>
<p><a class="button" href="{{ next_url }}">Done</a></p>
{% endblock %}"""
)


class StoreAdminForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = [
            "name",
            "slug",
            "phone_region",
            "currency",
            "timezone",
            "reviews_enabled",
            "apple_client_ids",
            "google_client_ids",
            "facebook_app_id",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone_region", "currency", "timezone"):
            field = self.fields[name]
            field.choices = choices_with(field.choices, getattr(self.instance, name, ""))

    # A blank JSON box means None, which the NOT NULL lists refuse; it means "no ids".
    def clean_apple_client_ids(self):
        return self.cleaned_data["apple_client_ids"] or []

    def clean_google_client_ids(self):
        return self.cleaned_data["google_client_ids"] or []


class ApiKeyInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ApiKey
    fields = ["prefix", "kind", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreAdminForm
    list_display = [
        "name",
        "slug",
        "public_id",
        "phone_region",
        "currency",
        "timezone",
        "reviews_enabled",
        "created_at",
    ]
    list_filter = ["reviews_enabled", "currency"]
    search_fields = ["name", "=slug", "=public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        ("Locale", {"fields": ["phone_region", "currency", "timezone"]}),
        ("Features", {"fields": ["reviews_enabled"]}),
        (
            "Social sign-in",
            {"fields": ["apple_client_ids", "google_client_ids", "facebook_app_id"]},
        ),
        ("Record", {"fields": ["public_id", "created_at", "updated_at"]}),
    ]
    inlines = [ApiKeyInline]
    actions = ["issue_keys"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # public id and dates do not exist before the store does
            return [(name, options) for name, options in self.fieldsets if name != "Record"]
        return self.fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "slug" in form.base_fields:
            form.base_fields["slug"].required = False
            form.base_fields["slug"].help_text = "Leave blank to make one from the name."
        return form

    def save_model(self, request, obj, form, change):
        if change:
            # store_update checks the settings it names and saves the whole row, with the
            # admin-only fields (slug, sign-in ids) the form has set on `obj`.
            settings = {name: form.cleaned_data[name] for name in STORE_SETTINGS}
            store_update(store=obj, data=settings)
            return
        fields = {name: value for name, value in form.cleaned_data.items() if name != "name"}
        created = store_create(name=form.cleaned_data["name"], **fields)
        adopt_saved(obj, created.store)
        # Kept on the object for this request only, for the page that shows them once.
        obj.issued_keys = [
            (created.store, ApiKey.Kind.PUBLISHABLE.label, created.publishable_key),
            (created.store, ApiKey.Kind.SECRET.label, created.secret_key),
        ]

    def response_add(self, request, obj, post_url_continue=None):
        next_url = reverse("admin:stores_store_change", args=[obj.pk])
        return self._issued_keys_response(request, obj.issued_keys, next_url)

    @admin.action(description="Issue a new publishable and secret key", permissions=["issue_keys"])
    def issue_keys(self, request, queryset):
        keys = []
        with transaction.atomic():  # all the keys shown, or none issued
            for store in queryset:
                for kind in (ApiKey.Kind.PUBLISHABLE, ApiKey.Kind.SECRET):
                    issued = api_key_create(
                        store=store, kind=kind, name=f"Issued {timezone.now():%Y-%m-%d}"
                    )
                    keys.append((store, kind.label, issued.raw))
        return self._issued_keys_response(request, keys, request.get_full_path())

    def has_issue_keys_permission(self, request):
        return request.user.has_perm("stores.add_apikey")

    def _issued_keys_response(self, request, keys, next_url):
        context = {
            **self.admin_site.each_context(request),
            "title": "New API keys",
            "opts": self.opts,
            "keys": keys,
            "next_url": next_url,
        }
        # The admin's views are never cached, so the keys live only in this response.
        return TemplateResponse(request, ISSUED_KEYS_TEMPLATE, context)


@admin.register(StoreMembership)
class StoreMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "store", "role", "created_at"]
    list_filter = ["role", "store"]
    list_select_related = ["user", "store"]
    search_fields = ["user__username", "user__email", "store__name"]
    autocomplete_fields = ["user", "store"]
    readonly_fields = ["created_at"]


@admin.register(StoreInvitation)
class StoreInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who invited whom into which store, and who accepted: the record of every invitation.
    Owners send and revoke them in the console; the token's hash is never shown."""

    list_display = [
        "email",
        "store",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = [
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
        "store",
    ]
    list_select_related = ["store", "invited_by", "accepted_by"]
    search_fields = ["email", "store__name"]
    fields = [
        "store",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "revoked_at",
    ]
    readonly_fields = fields


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued by `store_create` / `api_key_create`, shown once; here they are listed
    and revoked. Only the name can be edited."""

    list_display = [
        "prefix",
        "name",
        "store",
        "kind",
        "is_active",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter), "store"]
    list_select_related = ["store"]
    search_fields = ["=prefix", "name", "store__name"]
    fields = [
        "store",
        "kind",
        "name",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "store",
        "kind",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke_keys"]

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj):
        return obj.is_active

    def has_add_permission(self, request):
        return False  # a raw key exists only when a service issues it

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the ledger keeps pointing at the key that acted

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "store", "price_shown", "active", "updated_at"]
    list_filter = ["active", "store"]
    list_select_related = ["store"]
    search_fields = ["name", "=sku", "=public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]

    @admin.display(description="Price", ordering="price")
    def price_shown(self, product):
        return money_format(product.price, product.currency)

    def save_model(self, request, obj, form, change):
        # The form ran the model's checks (the price is in the store's currency); the service
        # runs them again, whoever calls it.
        product_save(product=obj)
