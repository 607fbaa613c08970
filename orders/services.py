"""Placing orders. Prices and totals always come from the store's catalogue."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, F, Max, Value, When

from customers.models import Address, Customer, CustomerEvent
from customers.phones import normalize_phone
from customers.services import (
    ADDRESS_FIELDS,
    address_data_clean,
    customer_create,
    customer_update,
    event_record,
    split_name,
)
from orders.models import Order, OrderLine
from stores.events import event_emit
from stores.models import Product, Store
from stores.selectors import store_of_account

MAX_QUANTITY = 999
MAX_LINES = 100
NOTES_MAX_LENGTH = 1000


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
        key = product.pk if isinstance(product, Product) else product
        wanted[key] = wanted.get(key, 0) + quantity
        if wanted[key] > MAX_QUANTITY:  # the same product on several lines adds up
            raise ValidationError(
                {"items": [f"An order holds at most {MAX_QUANTITY} of one product."]}
            )
    products = Product.objects.filter(store=store, active=True).in_bulk(list(wanted))
    missing = [key for key in wanted if key not in products]
    if missing:
        raise ValidationError({"items": ["One of the products is not sold by this store."]})
    _refuse_other_currencies(store, [products[key] for key in wanted])
    return [(products[key], quantity) for key, quantity in wanted.items()]


def _refuse_other_currencies(store: Store, products: Iterable[Product]) -> None:
    """An order is in the store's currency and never adds prices of two currencies; a product
    left in an old currency (the store changed its own) waits to be priced again."""
    foreign = {product.pk: product for product in products if product.currency != store.currency}
    if foreign:
        raise ValidationError(
            {
                "items": [
                    f"{product.name} is priced in {product.currency}, not in the store's "
                    f"currency ({store.currency}): it cannot be ordered until it is priced "
                    f"in {store.currency}."
                    for product in foreign.values()
                ]
            }
        )


def order_create(
    *,
    store: Store,
    customer: Customer | None,
    items: Iterable[dict],
    shipping_address: Address | dict | None = None,
    notes: str = "",
    actor_user=None,
    actor_customer: Customer | None = None,
    contact: dict | None = None,
) -> Order:
    """Place an order for `customer` with `items` ([{product: Product|pk, quantity}]).

    The order gets the next number of the store, keeps a snapshot of the customer's name,
    contact and shipping address, and moves the customer's counters (total_orders_count and
    prospect → acquired → repeat) in the same transaction, without a lost update.

    `contact` ({name, email, phone}) is the snapshot to keep instead of the customer's own (a
    guest checkout keeps what was typed); with `contact`, `customer` may be None: an order of
    no customer record, which moves no counters.
    """
    if customer is None and contact is None:
        raise ValidationError(
            {"customer": ["An order needs a customer, or the contact of who ordered."]}
        )
    # A store's own customer, or a customer of the store's network.
    if customer is not None and customer.store_id not in (store.pk, store.network_id):
        raise ValidationError({"customer": ["This customer belongs to another store."]})
    lines = _clean_items(store, items)
    if len(notes or "") > NOTES_MAX_LENGTH:
        raise ValidationError({"notes": [f"Use at most {NOTES_MAX_LENGTH} characters."]})
    if isinstance(shipping_address, Address):
        if customer is None or shipping_address.customer_id != customer.pk:
            raise ValidationError({"shipping_address": ["This address is not the customer's."]})
        address_snapshot = shipping_address.snapshot()
    else:
        address_snapshot = dict(shipping_address or {})

    if contact is None:
        contact = {"name": customer.name, "email": customer.email, "phone": customer.phone}

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
            customer_name=contact.get("name") or "",
            customer_email=contact.get("email") or "",
            customer_phone=contact.get("phone") or "",
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
        event_emit(store=store, type="order.created", obj=order)
        if customer is not None and customer.store_id != store.pk:
            # A network customer's order: the network hears of it too.
            event_emit(store=customer.store_id, type="order.created", obj=order)
        if customer is None:
            return order
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


# --- Checkout (the shopper API) -------------------------------------------------------------


def checkout_contact_clean(*, store: Store, name: str, email: str = "", phone: str = "") -> dict:
    """A guest's {name, email, phone} as stored: the name's spaces collapsed, the email
    lower-case, the phone in E.164; one of email and phone is required. Errors are on
    "customer", the checkout's field."""
    errors = []
    name = " ".join((name or "").split())
    first_name, last_name = split_name(name)
    if not name:
        errors.append("Enter the customer's name.")
    elif len(first_name) > 100 or len(last_name) > 100:
        errors.append("Use a shorter name.")
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append("Enter a valid email address.")
    try:
        phone = normalize_phone(phone or "", store.phone_region)
    except ValidationError as exc:
        errors.extend(exc.messages)
    if not errors and not email and not phone:
        errors.append("Give the customer's email or phone number.")
    if errors:
        raise ValidationError({"customer": errors})
    return {"name": name, "email": email, "phone": phone}


def _guest_find_or_create(store: Store, contact: dict) -> Customer | None:
    first_name, last_name = split_name(contact["name"])
    email, phone = contact["email"], contact["phone"]
    customers = Customer.objects.filter(store=store, closed_at__isnull=True)
    by_email = customers.filter(email__iexact=email).first() if email else None
    by_phone = customers.filter(phone=phone).first() if phone else None
    # An email or phone that a record holds already is not free to give to another one. One that
    # a REGISTERED account holds is never used to attach the order: the order would then show
    # in that account's history to whoever logs in, and the checkout's answer would tell the
    # caller that the account exists. It stays only in the order's snapshot.
    email_free = bool(email) and by_email is None
    phone_free = bool(phone) and by_phone is None
    guest = next((c for c in (by_email, by_phone) if c is not None and c.is_guest), None)
    if guest is None:
        if not (email_free or phone_free):
            return None  # every identity given belongs to a registered account
        return customer_create(
            store=store,
            first_name=first_name,
            last_name=last_name,
            email=email if email_free else "",
            phone=phone if phone_free else "",
            is_guest=True,
        )
    # Only the name is filled in, never a missing email or phone: registering with an email or
    # phone turns the guest record holding it into the account (customer_register), so adding
    # one here would let whoever typed it (unverified) claim this guest's order history later.
    if not guest.last_name and last_name:
        customer_update(customer=guest, data={"last_name": last_name})
    return guest


def guest_customer_for_checkout(
    *, store: Store, name: str, email: str = "", phone: str = ""
) -> Customer | None:
    """The guest record a checkout without an account belongs to, in one transaction.

    The store's open guest record with this email (else this phone) is reused, a missing last
    name filled in (not a missing email or phone: see below); otherwise a new guest record
    (is_guest, cannot log in) is created with the email and phone that no other record holds.
    An email or phone of a registered account is never attached to: when the guest gave
    nothing else, the answer is None (the order then belongs to no record and keeps only its
    snapshot, with the contact as typed).
    """
    contact = checkout_contact_clean(store=store, name=name, email=email, phone=phone)
    with transaction.atomic():
        try:
            with transaction.atomic():
                return _guest_find_or_create(store, contact)
        except ValidationError:
            # Only a race gets here (the contact is clean): another checkout saved this email
            # or phone between our look-up and our insert. Look again: it is there now.
            pass
        try:
            return _guest_find_or_create(store, contact)
        except ValidationError as exc:
            raise ValidationError(
                {"customer": ["The checkout conflicted with another one; try again."]}
            ) from exc


def _checkout_items(store: Store, items: Iterable[dict]) -> list[dict]:
    """[{product: "product_…", quantity}] → [{product: Product, quantity}]; ids of other stores'
    products or of inactive ones are refused like unknown ones."""
    items = list(items or ())
    if len(items) > MAX_LINES:  # before the products are looked up
        raise ValidationError({"items": [f"An order holds at most {MAX_LINES} items."]})
    ids = {item.get("product") for item in items if isinstance(item.get("product"), str)}
    products = Product.objects.filter(store=store, active=True, public_id__in=ids).in_bulk(
        field_name="public_id"
    )
    lines = []
    for item in items:
        key = item.get("product")
        product = products.get(key) if isinstance(key, str) else None
        if product is None:
            raise ValidationError({"items": [f"The store sells no product {key!s:.40}."]})
        lines.append({"product": product, "quantity": item.get("quantity", 1)})
    _refuse_other_currencies(store, (line["product"] for line in lines))
    return lines


def _checkout_address(store: Store, customer: Customer | None, shipping_address) -> Address | dict:
    """A saved place id ("place_…", the logged-in customer's) or a place's fields."""
    if not shipping_address:
        return {}
    if isinstance(shipping_address, str):
        address = (
            Address.objects.filter(public_id=shipping_address, customer=customer).first()
            if customer is not None
            else None
        )
        if address is None:
            raise ValidationError({"shipping_address": ["There is no saved place with this id."]})
        return address
    data = {
        field: value
        for field, value in dict(shipping_address).items()
        if field in ADDRESS_FIELDS and field != "is_default"
    }
    try:
        # address_data_clean reads only the customer's store (its phone region): a guest has
        # no record yet, so an unsaved one of the store stands in.
        cleaned = address_data_clean(customer or Customer(store=store), data, partial=False)
    except ValidationError as exc:
        raise ValidationError({"shipping_address": exc.messages}) from exc
    return Address(**cleaned).snapshot()


def order_checkout(
    *,
    store: Store,
    customer: Customer | None,
    guest: dict | None = None,
    items: Iterable[dict],
    shipping_address: str | dict | None = None,
    notes: str = "",
    at_store: str | None = None,
) -> Order:
    """A shopper places an order: as the logged-in `customer`, or else as a guest (`guest`:
    {name, email, phone}, see guest_customer_for_checkout). `items` name products by public
    id; prices and totals come from the catalogue (order_create). Everything happens, or
    nothing: a refused item leaves no guest record behind.

    `store` is the account the shopper belongs to. A network's shopper orders at one of its
    member stores, named by `at_store` (its store_… id, required): the order and its products
    are that store's, the customer (or guest record) the network's."""
    errors: dict[str, list[str]] = {}
    contact = None
    account = store
    try:
        store = store_of_account(account, at_store, required=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        store = None
    if customer is None:
        if not guest:
            errors["customer"] = [
                "Send the customer's token, or the guest's name and email or phone as customer."
            ]
        else:
            try:
                contact = checkout_contact_clean(
                    store=account,
                    name=guest.get("name", ""),
                    email=guest.get("email", ""),
                    phone=guest.get("phone", ""),
                )
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if store is not None:
        try:
            lines = _checkout_items(store, items)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        address = _checkout_address(account, customer, shipping_address)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        if customer is None:
            customer = guest_customer_for_checkout(store=account, **contact)
        return order_create(
            store=store,
            customer=customer,
            items=lines,
            shipping_address=address,
            notes=notes,
            actor_customer=customer,
            contact=contact,
        )
