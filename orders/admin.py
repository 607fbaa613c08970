"""Orders in Django admin.

Orders are placed by orders.services.order_create (numbering, prices from the catalogue, the
customer's counters), so the admin neither adds nor deletes them; it shows them, with their
snapshot of who ordered, and lets staff move the status and keep notes.
"""

from django.contrib import admin

from orders.models import Order, OrderLine
from stores.admin import ReadOnlyAdminMixin
from stores.money import money_format

MAX_ORDER_NUMBER_DIGITS = 9  # a longer number cannot be an order's (and would overflow SQLite)


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    fields = ["name", "sku", "quantity", "unit_price", "total", "product"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "store", "customer_name", "total_shown", "status", "created_at"]
    list_display_links = ["number"]
    list_filter = ["status", "store"]
    list_select_related = ["store"]
    # A number is searched exactly (get_search_results); these take the other terms.
    search_fields = ["=public_id", "=customer_email"]
    search_help_text = "Order number, public id or the customer's email."
    date_hierarchy = "created_at"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["store", "number", "public_id", "status", "notes"]}),
        ("Amounts", {"fields": ["currency", "subtotal", "total"]}),
        (
            "Customer, as they were when ordering",
            {
                "fields": [
                    "customer",
                    "customer_name",
                    "customer_email",
                    "customer_phone",
                    "shipping_address",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    # The customer link stays as placed: moving an order would skew both customers' counters.
    readonly_fields = [
        "store",
        "number",
        "public_id",
        "currency",
        "subtotal",
        "total",
        "customer",
        "customer_name",
        "customer_email",
        "customer_phone",
        "shipping_address",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("store", "customer")

    @admin.display(description="Total", ordering="total")
    def total_shown(self, order):
        return money_format(order.total, order.currency)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().removeprefix("#")
        if term.isdigit() and len(term) <= MAX_ORDER_NUMBER_DIGITS:
            return queryset.filter(number=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # orders are placed through order_create

    def has_delete_permission(self, request, obj=None):
        return False  # history: an order outlives even its customer


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "name", "sku", "quantity", "unit_price", "total"]
    list_select_related = ["order"]
    search_fields = ["=order__public_id", "=sku"]
    show_full_result_count = False
    fields = ["order", "product", "name", "sku", "quantity", "unit_price", "total"]
    readonly_fields = fields
