"""Every write to customers, their addresses and their timeline.

Each function is one business action, takes keyword arguments only, runs in one transaction
and raises django.core.exceptions.ValidationError (with field names) for anything the caller
sent wrong, including a database constraint that another request won in a race.
"""

import secrets
import string
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, router, transaction
from django.db.models import FileField
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.text import slugify

from customers.images import reencode_image
from customers.models import (
    SNAPSHOT_FIELDS,
    Address,
    Customer,
    CustomerEvent,
    Device,
    ExternalReference,
    Tag,
    VerificationCode,
)
from customers.phones import COUNTRY_CODES, normalize_phone

# Which field a violated constraint is about. SQLite names the columns of a partial unique
# index instead of the constraint, hence the second needle. The message is the constraint's own.
_CONSTRAINT_FIELDS = [
    ("customer_email_unique_per_store", (), "email"),
    (
        "customer_phone_unique_per_store",
        ("customers_customer.store_id, customers_customer.phone",),
        "phone",
    ),
    ("customer_email_or_phone", (), "email"),
    ("customer_first_name_required", (), "first_name"),
    ("customer_phone_e164", (), "phone"),
    (
        "extref_unique_per_store",
        ("customers_externalreference.store_id, customers_externalreference.source",),
        "external_references",
    ),
    ("address_street1_required", (), "street1"),
    ("address_location_valid", (), "location"),
    ("address_one_default", ("customers_address.customer_id",), "is_default"),
]

CUSTOMER_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "birthday",
    "metadata",
    "tags",
    "photo",
    "password",
}
# What a person may set on an address, in the order forms show it.
ADDRESS_FIELDS = (*SNAPSHOT_FIELDS, "latitude", "longitude", "is_default")


def validation_error_from_integrity(exc: IntegrityError) -> ValidationError:
    """The field error for a constraint the database enforced (e.g. a race lost to another
    request that saved the same email between our check and our insert)."""
    message = str(exc)
    constraints = {
        constraint.name: constraint
        for model in (Customer, ExternalReference, Address)
        for constraint in model._meta.constraints
    }
    for name, other_needles, field in _CONSTRAINT_FIELDS:
        if any(needle in message for needle in (name, *other_needles)):
            return ValidationError({field: [constraints[name].violation_error_message]})
    return ValidationError("The change conflicts with data saved meanwhile; try again.")


# --- Timeline -------------------------------------------------------------------------------


def event_record(
    *,
    customer: Customer,
    type: CustomerEvent.Type,
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
    data: dict | None = None,
) -> CustomerEvent:
    """One line of the customer's timeline, with at most one actor (staff user, the customer, or
    a management API key; none means the system)."""
    if not isinstance(type, CustomerEvent.Type):
        raise TypeError(f"event_record takes a CustomerEvent.Type, not {type!r}")
    return CustomerEvent.objects.create(
        store_id=customer.store_id,
        customer=customer,
        type=type,
        actor_user=actor_user,
        actor_customer=actor_customer,
        actor_api_key=actor_api_key,
        data=data or {},
    )


# --- Customers ------------------------------------------------------------------------------


def _clean_email(store, email: str | None, *, exclude_pk=None) -> str:
    email = (email or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": ["Enter a valid email address."]}) from exc
    taken = Customer.objects.filter(store=store, email__iexact=email).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"email": ["A customer with this email already exists."]})
    return email


def _clean_phone(store, phone: str | None, *, exclude_pk=None) -> str:
    try:
        phone = normalize_phone(phone or "", store.phone_region)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    if phone and Customer.objects.filter(store=store, phone=phone).exclude(pk=exclude_pk).exists():
        raise ValidationError({"phone": ["A customer with this phone number already exists."]})
    return phone


def customer_contact_clean(store, data: dict, *, exclude_pk=None) -> dict:
    """Normalise and check the email and phone in `data` (lower-case email, E.164 phone, both
    free in the store), collecting the errors of both. Forms call it to show these errors on
    their fields before calling customer_create / customer_update, which call it again."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, cleaner in (("email", _clean_email), ("phone", _clean_phone)):
        if field in data:
            try:
                cleaned[field] = cleaner(store, data[field], exclude_pk=exclude_pk)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_password(password: str) -> str:
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    return make_password(password)


def _clean_metadata(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": ["Metadata must be an object of keys and values."]})
    return metadata


def _random_suffix(length: int = 6) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _unique_slug(store, first_name: str, last_name: str) -> str:
    base = slugify(f"{first_name} {last_name}")[:100] or "customer"
    if not Customer.objects.filter(store=store, slug=base).exists():
        return base
    return f"{base}-{_random_suffix()}"


def _tags_for(store, names: Iterable[str]) -> list[Tag]:
    tags = []
    seen = set()
    for raw in names:
        name = (raw or "").strip()[:64]
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        tag = Tag.objects.filter(store=store, name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(store=store, name=name)
        tags.append(tag)
    return tags


def _clean_photo(photo):
    if not photo:
        return None
    try:
        return reencode_image(photo, max_bytes=settings.CUSTOMER_PHOTO_MAX_BYTES, max_side=4000)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from exc


def _upsert_external_references(customer: Customer, references) -> None:
    for reference in references or ():
        source = str(reference.get("source", "")).strip()
        external_id = str(reference.get("external_id", "")).strip()
        if not source or not external_id:
            raise ValidationError(
                {"external_references": ["Each reference needs a source and an external_id."]}
            )
        existing = ExternalReference.objects.filter(
            store_id=customer.store_id, source=source, external_id=external_id
        ).first()
        if existing and existing.customer_id != customer.pk:
            raise ValidationError(
                {"external_references": [f"{source}:{external_id} belongs to another customer."]}
            )
        if not existing:
            ExternalReference.objects.create(
                store_id=customer.store_id,
                customer=customer,
                source=source,
                external_id=external_id,
            )


def external_references_upsert(
    *, customer: Customer, references: Iterable[dict], actor_user=None
) -> list[ExternalReference]:
    """Give `customer` the (source, external_id) references it does not have yet; those it has
    stay, and none is removed. A reference that belongs to another customer of the store is a
    ValidationError on "external_references" (nothing is saved). Writes an "updated" event when
    a reference was added. Returns the added references."""
    before = set(customer.external_references.values_list("source", "external_id"))
    try:
        with transaction.atomic():
            _upsert_external_references(customer, references)
            added = list(customer.external_references.all().order_by("source", "external_id"))
            added = [ref for ref in added if (ref.source, ref.external_id) not in before]
            if added:
                event_record(
                    customer=customer,
                    type=CustomerEvent.Type.UPDATED,
                    actor_user=actor_user,
                    data={"fields": ["external_references"]},
                )
    except IntegrityError as exc:
        raise validation_error_from_integrity(exc) from exc
    return added


def customer_create(
    *,
    store,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    birthday=None,
    metadata: dict | None = None,
    tags: Iterable[str] = (),
    password: str | None = None,
    photo=None,
    is_guest: bool = False,
    external_references: Iterable[dict] = (),
    actor_user=None,
    actor_customer: Customer | None = None,
) -> Customer:
    """Create a customer of `store`, with a slug, tags and references, and a "created" event.

    Email (stored lower-case) and phone (stored E.164) must be unique in the store, and one of
    them is required.
    """
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not first_name:
        errors["first_name"] = ["Enter a first name."]
    try:
        contact = customer_contact_clean(store, {"email": email, "phone": phone})
    except ValidationError as exc:
        errors.update(exc.message_dict)
        contact = {}
    if not errors and not contact["email"] and not contact["phone"]:
        errors["email"] = ["Enter an email or a phone number."]
    try:
        metadata = _clean_metadata(metadata)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if password:
        try:
            password_hash = _clean_password(password)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    else:
        password_hash = None
    try:
        photo_file = _clean_photo(photo)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    customer = Customer(
        store=store,
        first_name=first_name,
        last_name=last_name,
        email=contact["email"],
        phone=contact["phone"],
        birthday=birthday,
        metadata=metadata,
        is_guest=is_guest,
        password=password_hash,
        slug=_unique_slug(store, first_name, last_name),
    )
    if photo_file:
        customer.photo.save(photo_file.name, photo_file, save=False)
    try:
        with transaction.atomic():
            customer.save()
            if tags:
                customer.tags.set(_tags_for(store, tags))
            _upsert_external_references(customer, external_references)
            event_record(
                customer=customer,
                type=CustomerEvent.Type.CREATED,
                actor_user=actor_user,
                actor_customer=actor_customer,
                data={"guest": is_guest} if is_guest else {},
            )
    except IntegrityError as exc:
        _discard_file(customer.photo)
        raise validation_error_from_integrity(exc) from exc
    except ValidationError:
        _discard_file(customer.photo)
        raise
    return customer


def customer_update(
    *,
    customer: Customer,
    data: dict,
    actor_user=None,
    actor_customer: Customer | None = None,
    merge_metadata: bool = False,
) -> Customer:
    """Change the fields named in `data` (others stay), with an "updated" event naming them.

    `metadata` replaces the old one, or is merged into it with `merge_metadata` (keys set to
    None are removed). `photo` takes an upload, or None to remove the photo. `tags` replaces the
    tag list. `password` sets a new password (validated) and writes its own event.
    """
    unknown = set(data) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({field: ["This field cannot be changed."] for field in unknown})
    store = customer.store
    errors: dict[str, list[str]] = {}
    changes: dict = {}

    for field in ("first_name", "last_name"):
        if field in data:
            value = (data[field] or "").strip()
            if field == "first_name" and not value:
                errors[field] = ["Enter a first name."]
            changes[field] = value
    try:
        changes.update(
            customer_contact_clean(
                store, {k: data[k] for k in ("email", "phone") if k in data}, exclude_pk=customer.pk
            )
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "birthday" in data:
        changes["birthday"] = data["birthday"] or None
    if "metadata" in data:
        try:
            metadata = _clean_metadata(data["metadata"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            if merge_metadata:
                merged = {**customer.metadata, **metadata}
                metadata = {k: v for k, v in merged.items() if v is not None}
            changes["metadata"] = metadata
    password_hash = None
    if data.get("password"):
        try:
            password_hash = _clean_password(data["password"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    photo_file = None
    if data.get("photo"):
        try:
            photo_file = _clean_photo(data["photo"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    email = changes.get("email", customer.email)
    phone = changes.get("phone", customer.phone)
    if not email and not phone and not customer.is_closed:
        raise ValidationError({"email": ["Enter an email or a phone number."]})

    changed = [field for field, value in changes.items() if getattr(customer, field) != value]
    old_photo = customer.photo.name if customer.photo else ""
    for field in changed:
        setattr(customer, field, changes[field])
    if "photo" in data:
        if photo_file:
            customer.photo.save(photo_file.name, photo_file, save=False)
            changed.append("photo")
        elif data["photo"] is None and old_photo:
            customer.photo = ""
            changed.append("photo")
    if password_hash:
        customer.password = password_hash

    try:
        with transaction.atomic():
            customer.save()
            if "tags" in data:
                before = set(customer.tags.values_list("name", flat=True))
                tags = _tags_for(store, data["tags"] or ())
                customer.tags.set(tags)
                if before != {tag.name for tag in tags}:
                    changed.append("tags")
            if changed:
                event_record(
                    customer=customer,
                    type=CustomerEvent.Type.UPDATED,
                    actor_user=actor_user,
                    actor_customer=actor_customer,
                    data={"fields": sorted(changed)},
                )
            if password_hash:
                event_record(
                    customer=customer,
                    type=CustomerEvent.Type.PASSWORD_CHANGED,
                    actor_user=actor_user,
                    actor_customer=actor_customer,
                )
    except IntegrityError as exc:
        if photo_file:
            _discard_file(customer.photo)
        customer.refresh_from_db()
        raise validation_error_from_integrity(exc) from exc
    if "photo" in changed and old_photo:
        _delete_file_on_commit(customer.photo.storage, old_photo)
    return customer


def customer_delete(*, customer: Customer, actor_user=None) -> None:
    """Delete a customer and what is theirs (addresses, cards, reviews, tokens, timeline).

    Their orders stay, unlinked, with the name, contact and address captured when ordered; the
    store keeps a "deleted" event naming the customer's public id and the orders kept.
    """
    with transaction.atomic():
        orders_kept = customer.orders.count()
        files = _files_deleted_with(customer)
        customer.events.all().delete()
        CustomerEvent.objects.create(
            store_id=customer.store_id,
            customer=None,
            type=CustomerEvent.Type.DELETED,
            actor_user=actor_user,
            data={"customer": customer.public_id, "orders_kept": orders_kept},
        )
        customer.delete()
        for storage, name in files:
            _delete_file_on_commit(storage, name)


def _files_deleted_with(instance) -> list[tuple]:
    """(storage, name) of every file of `instance` and of the rows its deletion cascades to
    (the photo, review media …), found with Django's own deletion collector, so this module
    needs to know nothing of the apps above it."""
    collector = Collector(using=router.db_for_write(type(instance)))
    collector.collect([instance])
    groups = [(model, list(rows)) for model, rows in collector.data.items()]
    groups += [(qs.model, list(qs)) for qs in collector.fast_deletes]
    files = []
    for model, rows in groups:
        file_fields = [f for f in model._meta.concrete_fields if isinstance(f, FileField)]
        for row in rows:
            for field in file_fields:
                field_file = getattr(row, field.attname)
                if field_file:
                    files.append((field_file.storage, field_file.name))
    return files


def customer_set_last_login(*, customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(last_login_at=timezone.now())


def _discard_file(field_file) -> None:
    if field_file and field_file.name:
        field_file.storage.delete(field_file.name)


def _delete_file_on_commit(storage, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


# --- Addresses ------------------------------------------------------------------------------


def address_data_clean(customer: Customer, data: dict, *, partial: bool) -> dict:
    """Check and normalise address fields (country code, E.164 phone, location pair); forms
    call it before address_create / address_update, which call it again."""
    unknown = set(data) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationError({field: ["Unknown address field."] for field in unknown})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, value in data.items():
        if field in ("latitude", "longitude", "is_default"):
            cleaned[field] = value
        else:
            cleaned[field] = (
                (value or "").strip() if isinstance(value, str) or value is None else value
            )
    if (not partial or "street1" in cleaned) and not cleaned.get("street1"):
        errors["street1"] = ["Enter a street address."]
    if cleaned.get("country"):
        country = cleaned["country"].upper()
        if country not in COUNTRY_CODES:
            errors["country"] = ["Use a 2-letter country code (ISO 3166-1), like US."]
        cleaned["country"] = country
    if cleaned.get("phone"):
        try:
            cleaned["phone"] = normalize_phone(cleaned["phone"], customer.store.phone_region)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    latitude = cleaned.get("latitude")
    longitude = cleaned.get("longitude")
    if ("latitude" in cleaned) != ("longitude" in cleaned) or (latitude is None) != (
        longitude is None
    ):
        errors["location"] = ["Give both a latitude and a longitude, or neither."]
    elif latitude is not None:
        try:
            if not (-90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180):
                raise ValueError
        except (TypeError, ValueError):
            errors["location"] = ["Enter a latitude and longitude on Earth."]
    for field, limit in (("name", 100), ("street1", 255), ("street2", 255), ("city", 100)):
        if len(cleaned.get(field) or "") > limit:
            errors[field] = [f"Use at most {limit} characters."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _address_event(address: Address, type: str, actor_user, actor_customer) -> None:
    event_record(
        customer=address.customer,
        type=type,
        actor_user=actor_user,
        actor_customer=actor_customer,
        data={"address": address.public_id},
    )


def address_create(
    *, customer: Customer, data: dict, actor_user=None, actor_customer: Customer | None = None
) -> Address:
    """Save a new address. The first address, or one sent with is_default, becomes the default."""
    cleaned = address_data_clean(customer, data, partial=False)
    make_default = bool(cleaned.pop("is_default", False))
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if not locked.addresses.exists():
            make_default = True
        if make_default:
            locked.addresses.filter(is_default=True).update(is_default=False)
        try:
            with transaction.atomic():
                address = Address.objects.create(
                    customer=customer, is_default=make_default, **cleaned
                )
        except IntegrityError as exc:
            raise validation_error_from_integrity(exc) from exc
        _address_event(address, CustomerEvent.Type.ADDRESS_ADDED, actor_user, actor_customer)
    return address


def address_update(
    *, address: Address, data: dict, actor_user=None, actor_customer: Customer | None = None
) -> Address:
    cleaned = address_data_clean(address.customer, data, partial=True)
    make_default = cleaned.pop("is_default", None)
    with transaction.atomic():
        for field, value in cleaned.items():
            setattr(address, field, value)
        try:
            with transaction.atomic():
                address.save()
        except IntegrityError as exc:
            raise validation_error_from_integrity(exc) from exc
        _address_event(address, CustomerEvent.Type.ADDRESS_UPDATED, actor_user, actor_customer)
        if make_default and not address.is_default:
            address_set_default(
                address=address, actor_user=actor_user, actor_customer=actor_customer
            )
    return address


def address_delete(*, address: Address, actor_user=None, actor_customer: Customer | None = None):
    """Delete an address; if it was the default, the oldest remaining one becomes the default."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=address.customer_id)
        was_default = address.is_default
        _address_event(address, CustomerEvent.Type.ADDRESS_DELETED, actor_user, actor_customer)
        address.delete()
        if was_default:
            successor = customer.addresses.order_by("created_at", "id").first()
            if successor:
                Address.objects.filter(pk=successor.pk).update(is_default=True)


def address_set_default(
    *, address: Address, actor_user=None, actor_customer: Customer | None = None
) -> Address:
    """Make `address` the customer's only default address."""
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=address.customer_id)
        Address.objects.filter(customer_id=address.customer_id, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
        Address.objects.filter(pk=address.pk).update(is_default=True)
        address.is_default = True
        _address_event(address, CustomerEvent.Type.ADDRESS_DEFAULT_SET, actor_user, actor_customer)
    return address


# --- Shopper accounts -----------------------------------------------------------------------


def identity_clean(store, raw: str) -> tuple[str, str]:
    """("email", address) or ("phone", E.164) for what a shopper typed, or a ValidationError
    on "identity"."""
    raw = (raw or "").strip()
    if "@" in raw:
        try:
            validate_email(raw)
        except ValidationError as exc:
            raise ValidationError({"identity": ["Enter a valid email address."]}) from exc
        return "email", raw.lower()
    try:
        phone = normalize_phone(raw, store.phone_region)
    except ValidationError as exc:
        raise ValidationError({"identity": ["Enter an email address or a phone number."]}) from exc
    if not phone:
        raise ValidationError({"identity": ["Enter an email address or a phone number."]})
    return "phone", phone


def split_name(name: str) -> tuple[str, str]:
    """ "Ada King Lovelace" → ("Ada", "King Lovelace")."""
    parts = (name or "").split()
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


def customer_find_by_identity(store, kind: str, value: str, *, registered: bool | None = None):
    customers = Customer.objects.filter(store=store, closed_at__isnull=True)
    if registered is not None:
        customers = customers.filter(is_guest=not registered)
    if kind == "email":
        return customers.filter(email__iexact=value).first()
    return customers.filter(phone=value).first()


# A real hash of nothing, so that a login for an unknown account costs as much as a real one.
_DUMMY_PASSWORD = make_password("not a password of anyone")


def customer_authenticate(*, store, identity: str, password: str) -> Customer | None:
    """The open, registered customer whose email or phone is `identity` and whose password is
    `password`; None for any mismatch (the caller says one thing for all of them)."""
    try:
        kind, value = identity_clean(store, identity)
    except ValidationError:
        kind, value = None, None
    customer = customer_find_by_identity(store, kind, value, registered=True) if kind else None
    if customer is None or not customer.password:
        check_password(password or "", _DUMMY_PASSWORD)
        return None
    if not customer.check_password(password or ""):
        return None
    return customer


def customer_register(
    *,
    store,
    identity_kind: str,
    identity: str,
    name: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    password: str | None = None,
    metadata: dict | None = None,
) -> Customer:
    """Register a shopper whose `identity` was just verified with a code.

    A guest record of the store with that email or phone becomes the registered account (its
    orders stay with it); an open registered account with it already is a 422.
    """
    if identity_kind == "email":
        email = identity
    else:
        phone = identity
    if name and not first_name:
        first_name, last_name = split_name(name)
    existing = customer_find_by_identity(store, identity_kind, identity)
    if existing is not None and not existing.is_guest:
        raise ValidationError(
            {"identity": ["An account with this email or phone exists already; log in instead."]}
        )
    with transaction.atomic():
        if existing is None:
            customer = customer_create(
                store=store,
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
                password=password,
                metadata=metadata,
            )
        else:
            data = {"first_name": first_name or existing.first_name, "last_name": last_name}
            if email:
                data["email"] = email
            if phone:
                data["phone"] = phone
            if metadata:
                data["metadata"] = metadata
            if password:
                data["password"] = password
            customer = customer_update(customer=existing, data=data, actor_customer=existing)
            Customer.objects.filter(pk=customer.pk).update(is_guest=False)
            customer.is_guest = False
        event_record(customer=customer, type=CustomerEvent.Type.REGISTERED, actor_customer=customer)
    return customer


def customer_set_password(
    *, customer: Customer, password: str, current_password: str | None, keep_token=None
):
    """A shopper changes their password; when one is set, the current one must be given.

    Every other session ends (a thief's too); `keep_token`, the session making the change,
    goes on."""
    from customers.tokens import customer_tokens_revoke_all

    if customer.has_password and not customer.check_password(current_password or ""):
        raise ValidationError({"current_password": ["The current password is not right."]})
    with transaction.atomic():
        customer = customer_update(
            customer=customer, data={"password": password}, actor_customer=customer
        )
        customer_tokens_revoke_all(customer=customer, keep=keep_token)
    return customer


def customer_login_code_send(*, store, phone: str) -> None:
    """Text a login code to `phone` when it is a registered, open account's; otherwise do
    nothing, and the caller answers the same either way (nobody learns which phones exist)."""
    from customers.codes import verification_code_send

    try:
        kind, phone = identity_clean(store, phone)
    except ValidationError as exc:
        raise ValidationError({"phone": ["Enter a valid phone number."]}) from exc
    if kind != "phone":
        raise ValidationError({"phone": ["Enter a valid phone number."]})
    customer = customer_find_by_identity(store, "phone", phone, registered=True)
    if customer is not None:
        verification_code_send(
            store=store, identity=phone, purpose=VerificationCode.Purpose.LOGIN, customer=customer
        )


def customer_close(*, customer: Customer) -> Customer:
    """Close an account (App Store rule): sessions end, personal data is erased (name, email,
    phone, photo, birthday, metadata, tags, addresses, devices, sign-in identities), orders
    stay with the snapshot they were placed with, and a "closed" event is written."""
    from customers.tokens import customer_tokens_revoke_all

    with transaction.atomic():
        photo = customer.photo.name if customer.photo else ""
        storage = customer.photo.storage
        customer_tokens_revoke_all(customer=customer)
        customer.addresses.all().delete()
        customer.devices.all().delete()
        customer.social_identities.all().delete()
        customer.tags.clear()
        Customer.objects.filter(pk=customer.pk).update(
            first_name="Closed",
            last_name="account",
            email="",
            phone="",
            photo="",
            birthday=None,
            metadata={},
            password=None,
            closed_at=timezone.now(),
            slug=f"closed-{customer.public_id.removeprefix('customer_').lower()}",
        )
        event_record(customer=customer, type=CustomerEvent.Type.CLOSED, actor_customer=customer)
        if photo:
            _delete_file_on_commit(storage, photo)
    customer.refresh_from_db()
    return customer


def device_register(*, customer: Customer, token: str, platform: str) -> Device:
    """Remember a push token for `customer`; the same token again changes nothing, and a token
    another customer of the store held moves to this one."""
    token = (token or "").strip()
    errors = {}
    if not token or len(token) > 512:
        errors["token"] = ["Send the device's push token."]
    if platform not in Device.Platform.values:
        errors["platform"] = ["Use ios, android or web."]
    if errors:
        raise ValidationError(errors)
    device, _created = Device.objects.update_or_create(
        store_id=customer.store_id,
        token=token,
        defaults={"customer": customer, "platform": platform},
    )
    return device
