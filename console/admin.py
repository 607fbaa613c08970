"""The customer's Django admin page with what apps above customers add to it: loyalty
enrolments (new ones through loyalty.services.card_enrol) and the latest orders.

customers/admin.py registers the customer page with its addresses; it cannot import loyalty or
orders (they import customers), so the page is registered again here, above all three.
"""

from django import forms
from django.contrib import admin

from customers.admin import AddressInline
from customers.admin import CustomerAdmin as BaseCustomerAdmin
from customers.models import Customer
from loyalty.admin import card_label, enrolable_cards, enrolment_problems
from loyalty.models import CustomerCard
from loyalty.services import card_enrol
from orders.models import Order
from stores.admin import LatestRowsFormSet, ReadOnlyAdminMixin
from stores.money import money_format


class EnrolmentInlineForm(forms.ModelForm):
    class Meta:
        model = CustomerCard
        fields = ["card"]

    def clean(self):
        cleaned = super().clean()
        customer = getattr(self.instance, "customer", None)
        card = cleaned.get("card")
        if card and customer is not None and customer.store_id:
            for problem in enrolment_problems(customer, card):
                self.add_error("card", problem)
        return cleaned


class CustomerCardInline(admin.TabularInline):
    """Enrolments: listed read-only; a new row enrols the customer through card_enrol."""

    model = CustomerCard
    form = EnrolmentInlineForm
    fields = ["card", "code", "stamps_count", "effective_status", "expires_at"]
    readonly_fields = ["code", "stamps_count", "effective_status", "expires_at"]
    extra = 0
    show_change_link = True
    verbose_name = "loyalty enrolment"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("card")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        card_field = formset.form.base_fields.get("card")
        if card_field is not None:
            cards = enrolable_cards(store=obj.store if obj else None)
            card_field.queryset = cards.exclude(enrolments__customer=obj) if obj else cards
            card_field.label_from_instance = card_label
        return formset

    def has_change_permission(self, request, obj=None):
        return False  # existing rows are read-only: balances move through the loyalty services

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Status")
    def effective_status(self, enrolment):
        return CustomerCard.Status(enrolment.effective_status).label


class CustomerOrderInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Order
    formset = LatestRowsFormSet
    fields = ["number", "status", "total_shown", "created_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = f"latest {LatestRowsFormSet.limit} orders"

    @admin.display(description="Total")
    def total_shown(self, order):
        return money_format(order.total, order.currency)


admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerAdmin(BaseCustomerAdmin):
    inlines = [AddressInline, CustomerCardInline, CustomerOrderInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj else [AddressInline, CustomerCardInline]

    def save_other_formset(self, request, customer, formset) -> list:
        if formset.model is not CustomerCard:
            return []
        return [
            card_enrol(
                customer=customer, card=enrolment_form.cleaned_data["card"], actor_user=request.user
            )
            for enrolment_form in formset.extra_forms
            if enrolment_form.has_changed()
        ]
