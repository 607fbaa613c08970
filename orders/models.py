from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from stores.identifiers import new_public_id
from stores.models import Product, Store


def order_public_id():
    return new_public_id("order")


class Order(models.Model):
    """An order keeps a snapshot of who ordered and where to, so deleting the customer
    (or editing their address) never rewrites history."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PAID = "paid", "Paid"
        FULFILLED = "fulfilled", "Fulfilled"
        COMPLETED = "completed", "Completed"
        CANCELED = "canceled", "Canceled"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    public_id = models.CharField(
        max_length=40, unique=True, default=order_public_id, editable=False
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    customer_name = models.CharField(max_length=201, blank=True)
    customer_email = models.EmailField(max_length=254, blank=True)
    customer_phone = models.CharField(max_length=20, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "number"], name="order_number_unique_per_store"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="order_number_positive"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0), name="order_subtotal_not_negative"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["created", "paid", "fulfilled", "completed", "canceled"]),
                name="order_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="order_store_created"),
            models.Index(fields=["customer", "-created_at"], name="order_customer_created"),
        ]

    def __str__(self):
        return f"#{self.number}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderline_unit_price_not_negative"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="orderline_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.name}"
