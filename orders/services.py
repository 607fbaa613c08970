"""Placing orders. Prices and totals always come from the store's catalogue."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Max, Value, When

from customers.models import Address, Customer, CustomerEvent
from customers.services import event_record
from orders.models import Order, OrderLine
from stores.models import Product, Store

MAX_QUANTITY = 999
MAX_LINES = 100


def _clean_items(store: Store, items: Iterable[dict]) -> list[tuple[Product, int]]:
    items = list(items or ())
    if not items:
        raise ValidationError({"items": ["An order needs at least one item."]})
    if len(items) > MAX_LINES:
        raise ValidationError({"items": [f"An order holds at most {MAX_LINES} items."]})
    wanted = {}
    for item in items:
        product = item.get("product")
        quantity = item.get("quantity", 1)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not (1 <= quantity <= MAX_QUANTITY)
        ):
            raise ValidationError(
                {"items": [f"Each quantity must be a whole number from 1 to {MAX_QUANTITY}."]}
            )
        wanted[product.pk if isinstance(product, Product) else product] = (
            wanted.get(product.pk if isinstance(product, Product) else product, 0) + quantity
        )
    products = Product.objects.filter(store=store, active=True).in_bulk(list(wanted))
    missing = [key for key in wanted if key not in products]
    if missing:
        raise ValidationError({"items": ["One of the products is not sold by this store."]})
    return [(products[key], quantity) for key, quantity in wanted.items()]


def order_create(
    *,
    store: Store,
    customer: Customer,
    items: Iterable[dict],
    shipping_address: Address | dict | None = None,
    notes: str = "",
    actor_user=None,
    actor_customer: Customer | None = None,
) -> Order:
    """Place an order for `customer` with `items` ([{product: Product|pk, quantity}]).

    The order gets the next number of the store, keeps a snapshot of the customer's name,
    contact and shipping address, and moves the customer's counters (total_orders_count and
    prospect → acquired → repeat) in the same transaction, without a lost update.
    """
    if customer.store_id != store.pk:
        raise ValidationError({"customer": ["This customer belongs to another store."]})
    lines = _clean_items(store, items)
    if isinstance(shipping_address, Address):
        if shipping_address.customer_id != customer.pk:
            raise ValidationError({"shipping_address": ["This address is not the customer's."]})
        address_snapshot = shipping_address.snapshot()
    else:
        address_snapshot = dict(shipping_address or {})

    subtotal = sum((product.price * quantity for product, quantity in lines), Decimal("0"))
    with transaction.atomic():
        # Locking the store row serialises numbering per store (a no-op lock on SQLite, whose
        # immediate transactions serialise writers anyway).
        Store.objects.select_for_update().filter(pk=store.pk).first()
        last = Order.objects.filter(store=store).aggregate(last=Max("number"))["last"] or 0
        order = Order.objects.create(
            store=store,
            customer=customer,
            number=last + 1,
            currency=store.currency,
            subtotal=subtotal,
            total=subtotal,
            customer_name=customer.name,
            customer_email=customer.email,
            customer_phone=customer.phone,
            shipping_address=address_snapshot,
            notes=notes,
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=product,
                name=product.name,
                sku=product.sku,
                quantity=quantity,
                unit_price=product.price,
                total=product.price * quantity,
            )
            for product, quantity in lines
        )
        # One UPDATE: the CASE reads the count before this order, so no read-modify-write.
        Customer.objects.filter(pk=customer.pk).update(
            total_orders_count=F("total_orders_count") + 1,
            status=Case(
                When(total_orders_count__gte=1, then=Value(Customer.Status.REPEAT)),
                default=Value(Customer.Status.ACQUIRED),
            ),
        )
        event_record(
            customer=customer,
            type=CustomerEvent.Type.ORDER_PLACED,
            actor_user=actor_user,
            actor_customer=actor_customer,
            data={"order": order.public_id, "number": order.number, "total": str(order.total)},
        )
    customer.refresh_from_db(fields=["total_orders_count", "status"])
    return order
