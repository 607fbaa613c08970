"""Every write to customers, their addresses and their timeline.

Each function is one business action, takes keyword arguments only, runs in one transaction
and raises django.core.exceptions.ValidationError (with field names) for anything the caller
sent wrong, including a database constraint that another request won in a race.
"""

import json
import re
import secrets
import string
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, router, transaction
from django.db.models import FileField
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import slugify

from customers.codes import verification_code_match, verification_code_send, verification_code_spend
from customers.images import reencode_image
from customers.models import (
    SNAPSHOT_FIELDS,
    Address,
    Customer,
    CustomerEvent,
    CustomerGroup,
    CustomerNote,
    Device,
    ExternalReference,
    SocialIdentity,
    Tag,
    VerificationCode,
)
from customers.phones import normalize_phone
from customers.tokens import customer_token_issue, customer_tokens_revoke_all
from stores.events import event_emit
from stores.standards import COUNTRIES

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
    "customer_group",
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
CONTACT_FIELDS = ("email", "phone")
# What a person may set on an address, in the order forms show it.
ADDRESS_FIELDS = (*SNAPSHOT_FIELDS, "latitude", "longitude", "is_default")

# The rules every face (console, admin, both APIs) gets from here. Names are refused past the
# column's length, never cut.
NAME_MAX_LENGTH = Customer._meta.get_field("first_name").max_length  # last_name's too
BIRTHDAY_EARLIEST = date(1900, 1, 1)
# Bounds (README, "Limits"): what one customer may hold, whoever sends it.
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_KEY_ALPHABET = re.compile(r"[A-Za-z0-9_.:-]+")  # ASCII letters, digits, _ - . :
METADATA_VALUE_MAX_LENGTH = 500  # characters of the value written as JSON
METADATA_MAX_BYTES = 16 * 1024  # the whole object, merged, as compact UTF-8 JSON
METADATA_PROBLEMS_SHOWN = 10  # a body of 10,000 bad keys gets 10 messages, not 10,000
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
TAGS_MAX = 50
EXTERNAL_REFERENCES_MAX = 20
ADDRESSES_MAX = 50
# Address texts are refused past their column; `instructions` (a TextField) past this.
ADDRESS_INSTRUCTIONS_MAX_LENGTH = 1000


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
    free in the store), collecting the errors of both; a part of customer_data_clean."""
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


def _collect(errors: dict, clean, *args, **kwargs):
    """`clean(*args, **kwargs)`, or None with its ValidationError added to `errors` (messages
    keep their code and params), so that one call reports every field's errors."""
    try:
        return clean(*args, **kwargs)
    except ValidationError as exc:
        exc.update_error_dict(errors)
        return None


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """`exc` with its fields renamed (e.g. first_name → name, for a caller that sent `name`)."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors: dict[str, list[ValidationError]] = {}
    for field, field_errors in exc.error_dict.items():
        target = errors.setdefault(names.get(field, field), [])
        target += [e for e in field_errors if e.messages not in [t.messages for t in target]]
    return ValidationError(errors)


def _clean_names(data: dict) -> dict:
    """The first and last name of `data` (those present), trimmed: a first name is required,
    and neither may be longer than NAME_MAX_LENGTH (refused, never cut)."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field in ("first_name", "last_name"):
        if field not in data:
            continue
        value = str(data[field] or "").strip()
        if field == "first_name" and not value:
            errors[field] = ["Enter a first name."]
        elif len(value) > NAME_MAX_LENGTH:
            errors[field] = [f"Use at most {NAME_MAX_LENGTH} characters."]
        cleaned[field] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_birthday(store, birthday) -> date | None:
    """A birthday is a date from 1 January 1900 to today in the store's time zone, or None."""
    if birthday in (None, ""):
        return None
    if isinstance(birthday, str):
        try:
            birthday = parse_date(birthday.strip())
        except ValueError:
            birthday = None
    if isinstance(birthday, datetime):
        birthday = birthday.date()
    if not isinstance(birthday, date):
        raise ValidationError({"birthday": ["Enter a date, like 1990-12-31."]})
    if birthday > timezone.localdate(timezone=store.tzinfo):
        raise ValidationError({"birthday": ["A birthday cannot be in the future."]})
    if birthday < BIRTHDAY_EARLIEST:
        raise ValidationError({"birthday": ["Enter a birthday from 1900 on."]})
    return birthday


def _shown(key: str) -> str:
    """A metadata key as a message quotes it: control characters escaped, at most 20 long."""
    shown = key if key.isprintable() else key.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 20 else f"{shown[:20]}…"


def _metadata_key_problem(key) -> ValidationError | None:
    if not isinstance(key, str):
        return ValidationError("Metadata keys are text.", code="key_invalid")
    params = {"key": key, "shown": _shown(key), "max": METADATA_KEY_MAX_LENGTH}
    if not key.strip():
        return ValidationError(
            "Every metadata value needs a key.", code="key_missing", params=params
        )
    if len(key) > METADATA_KEY_MAX_LENGTH:
        message = "Metadata keys have at most %(max)s characters: “%(shown)s”."
        return ValidationError(message, code="key_too_long", params=params)
    if key != key.strip():
        message = "Metadata keys cannot start or end with a space: “%(shown)s”."
        return ValidationError(message, code="key_spaces", params=params)
    if not key.isprintable():
        message = "Metadata keys cannot hold control characters such as NUL: “%(shown)s”."
        return ValidationError(message, code="key_control", params=params)
    if not METADATA_KEY_ALPHABET.fullmatch(key):
        message = (
            "Metadata keys hold only letters, digits and _ - . : "
            "(A–Z, a–z, 0–9, no spaces): “%(shown)s”."
        )
        return ValidationError(message, code="key_alphabet", params=params)
    return None


def _unstorable_text(value) -> str | None:
    """What makes `value` (any JSON value) unstorable: a NUL character or an unpaired
    surrogate in one of its strings or keys (PostgreSQL refuses both), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "NUL characters"
            if not item.isascii() and any("\ud800" <= char <= "\udfff" for char in item):
                return "unpaired surrogates (not Unicode text)"
    return None


def _metadata_value_problem(key: str, value) -> ValidationError | None:
    try:
        size = len(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        size = None
    params = {"key": key, "shown": _shown(key), "max": METADATA_VALUE_MAX_LENGTH, "size": size}
    if size is None:
        message = "Metadata values are text, numbers, true/false, lists or objects: “%(shown)s”."
        return ValidationError(message, code="value_invalid", params=params)
    if size > METADATA_VALUE_MAX_LENGTH:
        message = (
            "Metadata values have at most %(max)s characters (as JSON); "
            "the one of “%(shown)s” has %(size)s."
        )
        return ValidationError(message, code="value_too_long", params=params)
    unstorable = _unstorable_text(value)
    if unstorable:
        params["what"] = unstorable
        message = "Metadata values cannot hold %(what)s: the one of “%(shown)s” does."
        return ValidationError(message, code="value_text", params=params)
    return None


def _metadata_bytes(metadata: dict) -> int:
    text = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8", "surrogatepass"))


def metadata_clean(metadata, *, merge_into: dict | None = None) -> dict:
    """The metadata rules, the same whoever sends it (console rows, the admin, the shopper
    API's `meta`, the management API's `metadata`): an object of at most METADATA_MAX_KEYS
    (50) keys; each key 1–40 characters of ASCII letters, digits and _ - . :; each value at
    most 500 characters written as JSON, with no NUL character; the whole object at most
    METADATA_MAX_BYTES (16 KB) as compact JSON, after merging.

    With `merge_into` (the customer's metadata), `metadata` is merged into it and a key sent
    as None is removed (whatever the key); the merged object is returned. Errors are on
    "metadata", each naming its key in params["key"] (the console shows it beside its row).
    """
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": ["Metadata must be an object of keys and values."]})
    removals = set() if merge_into is None else {k for k, v in metadata.items() if v is None}
    problems = [
        problem
        for key, value in metadata.items()
        if key not in removals
        for problem in (_metadata_key_problem(key), _metadata_value_problem(str(key), value))
        if problem is not None
    ][:METADATA_PROBLEMS_SHOWN]
    result = metadata
    if merge_into is not None:
        result = {k: v for k, v in {**merge_into, **metadata}.items() if k not in removals}
    if len(result) > METADATA_MAX_KEYS:
        problems.append(
            ValidationError(
                "Metadata has at most %(max)s keys; this would make %(count)s.",
                code="too_many_keys",
                params={"max": METADATA_MAX_KEYS, "count": len(result)},
            )
        )
    elif not problems and _metadata_bytes(result) > METADATA_MAX_BYTES:
        problems.append(
            ValidationError(
                "Metadata is at most 16 KB (%(max)s bytes as JSON); this would make %(size)s.",
                code="too_large",
                params={"max": f"{METADATA_MAX_BYTES:,}", "size": f"{_metadata_bytes(result):,}"},
            )
        )
    if problems:
        raise ValidationError({"metadata": problems})
    return result


def customer_data_clean(
    store, data: dict, *, customer: Customer | None = None, merge_metadata: bool = False
) -> dict:
    """Check and normalise the customer fields of `data` that are present (first_name,
    last_name, email, phone, birthday, metadata) by the rules customer_create and
    customer_update apply, and that an email or a phone remains; every field's errors come in
    one ValidationError. Forms call it to show them on their fields; the services call it
    again. With `customer` (an update) their own email and phone are no conflict, and with
    `merge_metadata` the metadata is merged into theirs. Tags, when present, are checked
    (tags_clean) but not returned: the services set them."""
    errors: dict[str, list] = {}
    cleaned = _collect(errors, _clean_names, data) or {}
    contact = {field: data[field] for field in ("email", "phone") if field in data}
    exclude_pk = customer.pk if customer else None
    cleaned.update(
        _collect(errors, customer_contact_clean, store, contact, exclude_pk=exclude_pk) or {}
    )
    if "birthday" in data:
        cleaned["birthday"] = _collect(errors, _clean_birthday, store, data["birthday"])
    if "metadata" in data:
        current = customer.metadata if customer is not None and merge_metadata else None
        cleaned["metadata"] = _collect(errors, metadata_clean, data["metadata"], merge_into=current)
    if "tags" in data:  # checked only: the services set the tags (tags_clean again)
        _collect(errors, tags_clean, data["tags"])
    if "customer_group" in data:
        cleaned["customer_group"] = _collect(
            errors, customer_group_find, store, data["customer_group"]
        )
    if not {"email", "phone"} & set(errors):
        email = cleaned.get("email", customer.email if customer else "")
        phone = cleaned.get("phone", customer.phone if customer else "")
        if not email and not phone and not (customer is not None and customer.is_closed):
            errors["email"] = [ValidationError("Enter an email or a phone number.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _random_suffix(length: int = 6) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _unique_slug(store, first_name: str, last_name: str) -> str:
    base = slugify(f"{first_name} {last_name}")[:100] or "customer"
    if not Customer.objects.filter(store=store, slug=base).exists():
        return base
    return f"{base}-{_random_suffix()}"


def tags_clean(names: Iterable[str] | None) -> list[str]:
    """The tag names of `names` as they are kept: trimmed, blanks dropped, each once whatever
    its case (the first spelling wins). A name longer than TAG_MAX_LENGTH, or holding a
    control character (NUL …), and more than TAGS_MAX names are refused, never cut: a
    ValidationError on "tags" naming it (every face shows it on its tags field)."""
    cleaned, seen, problems = [], set(), []
    for raw in names or ():
        if raw is None:
            continue
        if not isinstance(raw, str):
            problems.append(ValidationError("Tags are text.", code="invalid"))
            continue
        name = raw.strip()
        if len(name) > TAG_MAX_LENGTH:
            problems.append(
                ValidationError(
                    "A tag has at most %(max)s characters; “%(shown)s” has %(length)s.",
                    code="too_long",
                    params={"max": TAG_MAX_LENGTH, "shown": _shown(name), "length": len(name)},
                )
            )
        elif not name.isprintable():
            problems.append(
                ValidationError(
                    "A tag cannot hold control characters such as NUL: “%(shown)s”.",
                    code="control",
                    params={"shown": _shown(name)},
                )
            )
        elif name and name.lower() not in seen:
            seen.add(name.lower())
            cleaned.append(name)
        if len(problems) >= METADATA_PROBLEMS_SHOWN:
            break
    if len(cleaned) > TAGS_MAX:
        problems.append(
            ValidationError(
                "A customer has at most %(max)s tags; this would make %(count)s.",
                code="too_many",
                params={"max": TAGS_MAX, "count": len(cleaned)},
            )
        )
    if problems:
        raise ValidationError({"tags": problems})
    return cleaned


def _tags_for(store, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in tags_clean(names):
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


def _too_many_references(count: int) -> ValidationError:
    return ValidationError(
        {
            "external_references": [
                f"A customer has at most {EXTERNAL_REFERENCES_MAX} external references; "
                f"this would make {count}."
            ]
        }
    )


def external_references_clean(references) -> list[tuple[str, str]]:
    """The (source, external_id) pairs of `references` ([{source, external_id}]), stripped,
    each once: both present, within their columns, no control characters (NUL …), and at most
    EXTERNAL_REFERENCES_MAX of them. A ValidationError on "external_references" otherwise,
    before any query."""
    references = list(references or ())
    if len(references) > EXTERNAL_REFERENCES_MAX:
        raise _too_many_references(len(references))
    pairs = []
    limits = (("source", 64), ("external_id", 191))
    for reference in references:
        values = [str(reference.get(field, "")).strip() for field, _ in limits]
        if not all(values):
            raise ValidationError(
                {"external_references": ["Each reference needs a source and an external_id."]}
            )
        for (field, limit), value in zip(limits, values, strict=True):
            if len(value) > limit or not value.isprintable():
                raise ValidationError(
                    {
                        "external_references": [
                            f"A reference's {field} has at most {limit} characters, "
                            "and no control characters."
                        ]
                    }
                )
        if tuple(values) not in pairs:
            pairs.append(tuple(values))
    return pairs


def _upsert_external_references(customer: Customer, references) -> None:
    pairs = external_references_clean(references)
    if not pairs:
        return
    held = set(
        ExternalReference.objects.filter(customer=customer).values_list("source", "external_id")
    )
    count = len(held | set(pairs))
    if count > EXTERNAL_REFERENCES_MAX:
        raise _too_many_references(count)
    for source, external_id in pairs:
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
    *, customer: Customer, references: Iterable[dict], actor_user=None, actor_api_key=None
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
                    actor_api_key=actor_api_key,
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
    customer_group=None,
    is_guest: bool = False,
    external_references: Iterable[dict] = (),
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
) -> Customer:
    """Create a customer of `store`, with a slug, tags and references, and a "created" event.

    Email (stored lower-case) and phone (stored E.164) must be unique in the store, and one of
    them is required; names, birthday, metadata and tags follow customer_data_clean.
    """
    errors: dict[str, list] = {}
    fields = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    cleaned = _collect(
        errors,
        customer_data_clean,
        store,
        {
            **fields,
            "birthday": birthday,
            "metadata": metadata,
            "tags": tags,
            "customer_group": customer_group,
        },
    )
    password_hash = _collect(errors, _clean_password, password) if password else None
    photo_file = _collect(errors, _clean_photo, photo)
    if errors:
        raise ValidationError(errors)

    customer = Customer(
        store=store,
        **cleaned,
        is_guest=is_guest,
        password=password_hash,
        slug=_unique_slug(store, cleaned["first_name"], cleaned["last_name"]),
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
                actor_api_key=actor_api_key,
                data={"guest": is_guest} if is_guest else {},
            )
            event_emit(store=store, type="customer.created", obj=customer)
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
    external_references: Iterable[dict] = (),
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
    merge_metadata: bool = False,
) -> Customer:
    """Change the fields named in `data` (others stay), with an "updated" event naming them.

    `metadata` replaces the old one, or is merged into it with `merge_metadata` (keys set to
    None are removed). `photo` takes an upload, or None to remove the photo. `tags` replaces the
    tag list. `password` sets a new password (validated) and writes its own event.
    `external_references` the customer does not hold yet are added (external_references_upsert,
    its own event). Everything is checked first, then saved in one transaction, or nothing is.
    """
    changes, password_hash, photo_file = _customer_update_clean(
        customer, data, merge_metadata=merge_metadata
    )
    actors = {
        "actor_user": actor_user,
        "actor_customer": actor_customer,
        "actor_api_key": actor_api_key,
    }
    old_photo = customer.photo.name if customer.photo else ""
    changed = _customer_fields_apply(customer, changes)
    _contact_set_unverified(customer, changed)
    changed += _customer_photo_apply(customer, data, photo_file, had_photo=bool(old_photo))
    if password_hash:
        customer.password = password_hash
    try:
        with transaction.atomic():
            customer.save()
            if "tags" in data and _customer_tags_replace(customer, data["tags"]):
                changed.append("tags")
            _customer_update_events(customer, changed, bool(password_hash), actors)
            if external_references:
                external_references_upsert(
                    customer=customer,
                    references=external_references,
                    actor_user=actor_user,
                    actor_api_key=actor_api_key,
                )
            if changed or password_hash:
                event_emit(store=customer.store_id, type="customer.updated", obj=customer)
    except (IntegrityError, ValidationError) as exc:
        if photo_file:
            _discard_file(customer.photo)
        customer.refresh_from_db()
        if isinstance(exc, IntegrityError):
            raise validation_error_from_integrity(exc) from exc
        raise
    if "photo" in changed and old_photo:
        _delete_file_on_commit(customer.photo.storage, old_photo)
    return customer


def _customer_update_clean(customer: Customer, data: dict, *, merge_metadata: bool) -> tuple:
    """(changes, password hash or None, re-encoded photo or None) for customer_update: every
    field checked, all errors in one ValidationError, nothing written."""
    unknown = set(data) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError({field: ["This field cannot be changed."] for field in unknown})
    errors: dict[str, list] = {}
    changes = _collect(
        errors,
        customer_data_clean,
        customer.store,
        data,
        customer=customer,
        merge_metadata=merge_metadata,
    )
    password_hash = (
        _collect(errors, _clean_password, data["password"]) if data.get("password") else None
    )
    photo_file = _collect(errors, _clean_photo, data["photo"]) if data.get("photo") else None
    if errors:
        raise ValidationError(errors)
    return changes, password_hash, photo_file


def _customer_fields_apply(customer: Customer, changes: dict) -> list[str]:
    """Set the values that differ on `customer` (unsaved); returns their names."""
    changed = [field for field, value in changes.items() if getattr(customer, field) != value]
    for field in changed:
        setattr(customer, field, changes[field])
    return changed


def _contact_set_unverified(customer: Customer, changed: list[str]) -> None:
    """An email or phone set through customer_update (staff, a back office, the admin, a
    customer removing theirs) was not proven with a code by the customer: it is not verified.
    A pending request of the customer for that very value is settled by it."""
    for field in CONTACT_FIELDS:
        if field in changed:
            setattr(customer, f"{field}_verified_at", None)
            if getattr(customer, f"pending_{field}") == getattr(customer, field):
                setattr(customer, f"pending_{field}", "")


def _customer_photo_apply(customer: Customer, data: dict, photo_file, *, had_photo: bool) -> list:
    """Put the new photo on `customer` (unsaved), or take it off when `data` says None."""
    if "photo" not in data:
        return []
    if photo_file:
        customer.photo.save(photo_file.name, photo_file, save=False)
        return ["photo"]
    if data["photo"] is None and had_photo:
        customer.photo = ""
        return ["photo"]
    return []


def _customer_tags_replace(customer: Customer, names) -> bool:
    """Give `customer` exactly the tags `names`; True when that changed them."""
    before = set(customer.tags.values_list("name", flat=True))
    tags = _tags_for(customer.store, names or ())
    customer.tags.set(tags)
    return before != {tag.name for tag in tags}


def _customer_update_events(customer: Customer, changed: list, password_changed: bool, actors):
    if changed:
        event_record(
            customer=customer,
            type=CustomerEvent.Type.UPDATED,
            data={"fields": sorted(changed)},
            **actors,
        )
    if password_changed:
        event_record(customer=customer, type=CustomerEvent.Type.PASSWORD_CHANGED, **actors)


def customer_delete(*, customer: Customer, actor_user=None, actor_api_key=None) -> None:
    """Delete a customer and what is theirs (addresses, cards, reviews, tokens, timeline).

    Their orders stay, unlinked, with the name, contact and address captured when ordered; the
    store keeps a "deleted" event naming the customer's public id and the orders kept.
    """
    with transaction.atomic():
        orders_kept = customer.orders.count()
        files = _files_deleted_with(customer)
        # Built while the customer is still there: the payload is the customer as deleted.
        event_emit(store=customer.store_id, type="customer.deleted", obj=customer)
        customer.events.all().delete()
        CustomerEvent.objects.create(
            store_id=customer.store_id,
            customer=None,
            type=CustomerEvent.Type.DELETED,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
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


def _discard_file(field_file) -> None:
    if field_file and field_file.name:
        field_file.storage.delete(field_file.name)


def _delete_file_on_commit(storage, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


# --- Addresses ------------------------------------------------------------------------------


def _address_text_limits() -> dict[str, int]:
    """Each text field of an address and its most characters: its column's, and
    ADDRESS_INSTRUCTIONS_MAX_LENGTH for the instructions."""
    limits = {
        field.name: field.max_length
        for field in Address._meta.concrete_fields
        if field.name in ADDRESS_FIELDS and getattr(field, "max_length", None)
    }
    return {**limits, "instructions": ADDRESS_INSTRUCTIONS_MAX_LENGTH}


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
        if country not in COUNTRIES:  # ISO 3166-1, not the phone regions (AC, TA, XK)
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
    for field, limit in _address_text_limits().items():
        value = cleaned.get(field)
        if not isinstance(value, str) or field in errors:
            continue
        if len(value) > limit:
            errors[field] = [f"Use at most {limit} characters."]
        elif "\x00" in value:
            errors[field] = ["Text cannot hold NUL characters."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _address_event(address: Address, type: CustomerEvent.Type, **actors) -> None:
    event_record(
        customer=address.customer, type=type, data={"address": address.public_id}, **actors
    )


def address_create(
    *,
    customer: Customer,
    data: dict,
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
) -> Address:
    """Save a new address. The first address, or one sent with is_default, becomes the default.
    A customer holds at most ADDRESSES_MAX addresses (a ValidationError about the request)."""
    cleaned = address_data_clean(customer, data, partial=False)
    make_default = bool(cleaned.pop("is_default", False))
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.addresses.count() >= ADDRESSES_MAX:
            raise ValidationError(
                f"A customer has at most {ADDRESSES_MAX} addresses (saved places); "
                "delete one first."
            )
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
        _address_event(
            address,
            CustomerEvent.Type.ADDRESS_ADDED,
            actor_user=actor_user,
            actor_customer=actor_customer,
            actor_api_key=actor_api_key,
        )
    return address


def address_update(
    *,
    address: Address,
    data: dict,
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
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
        actors = {
            "actor_user": actor_user,
            "actor_customer": actor_customer,
            "actor_api_key": actor_api_key,
        }
        _address_event(address, CustomerEvent.Type.ADDRESS_UPDATED, **actors)
        if make_default and not address.is_default:
            address_set_default(address=address, **actors)
    return address


def address_delete(
    *,
    address: Address,
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
):
    """Delete an address; if it was the default, the oldest remaining one becomes the default."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=address.customer_id)
        was_default = address.is_default
        _address_event(
            address,
            CustomerEvent.Type.ADDRESS_DELETED,
            actor_user=actor_user,
            actor_customer=actor_customer,
            actor_api_key=actor_api_key,
        )
        address.delete()
        if was_default:
            successor = customer.addresses.order_by("created_at", "id").first()
            if successor:
                Address.objects.filter(pk=successor.pk).update(is_default=True)


def address_set_default(
    *,
    address: Address,
    actor_user=None,
    actor_customer: Customer | None = None,
    actor_api_key=None,
) -> Address:
    """Make `address` the customer's only default address."""
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=address.customer_id)
        Address.objects.filter(customer_id=address.customer_id, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
        Address.objects.filter(pk=address.pk).update(is_default=True)
        address.is_default = True
        _address_event(
            address,
            CustomerEvent.Type.ADDRESS_DEFAULT_SET,
            actor_user=actor_user,
            actor_customer=actor_customer,
            actor_api_key=actor_api_key,
        )
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
    """Register a shopper whose `identity` was just verified with a code: that contact is
    the account's, verified. The other one (`phone` when registering by email, `email` when
    by phone) must be free in the store, and is only pending: a code goes to it, and it is
    the account's once confirmed (customer_contact_confirm), as for a profile change.

    A guest record of the store with that email or phone becomes the registered account (its
    orders stay with it); its other contact, typed at a checkout and proven by nobody, is put
    aside as pending (no code is sent: asking for it again sends one). An open registered
    account with the identity already is a 422. A `name` that breaks a rule of the first or
    last name it splits into is an error on "name".
    """
    other_field = "phone" if identity_kind == "email" else "email"
    other = phone if identity_kind == "email" else email
    if name and not first_name:
        first_name, last_name = split_name(name)
    existing = customer_find_by_identity(store, identity_kind, identity)
    if existing is not None and not existing.is_guest:
        raise ValidationError(
            {"identity": ["An account with this email or phone exists already; log in instead."]}
        )
    fields = {"first_name": first_name, "last_name": last_name, identity_kind: identity}
    fields[other_field] = ""
    errors: dict[str, list] = {}
    exclude_pk = existing.pk if existing is not None else None
    pending = _collect(
        errors, customer_contact_clean, store, {other_field: other}, exclude_pk=exclude_pk
    )
    pending = {field: value for field, value in (pending or {}).items() if value}
    try:
        with transaction.atomic():
            try:
                if existing is None:
                    customer = customer_create(
                        store=store, **fields, password=password, metadata=metadata
                    )
                else:
                    customer = _guest_register(
                        existing,
                        fields,
                        proven=identity_kind,
                        password=password,
                        metadata=metadata,
                    )
            except ValidationError as exc:
                exc.update_error_dict(errors)
            if errors:
                raise ValidationError(errors)
            customer_contact_verified(customer=customer, field=identity_kind)
            event_record(
                customer=customer, type=CustomerEvent.Type.REGISTERED, actor_customer=customer
            )
            if pending:
                _contact_change_request(customer, pending)
    except ValidationError as exc:
        if not name:
            raise
        raise _renamed(exc, {"first_name": "name", "last_name": "name"}) from None
    return customer


def _guest_register(guest: Customer, fields: dict, *, proven: str, password, metadata) -> Customer:
    """The guest record `guest` becomes a registered account with `fields` (guest_account_open:
    of its contacts only `proven` stays)."""
    data = {
        "first_name": fields["first_name"] or guest.first_name,
        "last_name": fields["last_name"],
    }
    if metadata:
        data["metadata"] = metadata
    if password:
        data["password"] = password
    customer = customer_update(customer=guest, data=data, actor_customer=guest)
    return guest_account_open(guest=customer, proven=proven)


def guest_account_open(*, guest: Customer, proven: str) -> Customer:
    """The guest record `guest` becomes a registered account that holds only the contact the
    shopper has just proven (`proven`: "email" or "phone"). The other one was typed at a
    checkout and proven by nobody: it is put aside as the pending one (no code is sent; asking
    for it again sends one), so it neither blocks its owner nor lets them in here."""
    other = "phone" if proven == "email" else "email"
    unproven = getattr(guest, other)
    with transaction.atomic():
        if unproven:
            guest = customer_update(customer=guest, data={other: ""}, actor_customer=guest)
        updates = {"is_guest": False, **({f"pending_{other}": unproven} if unproven else {})}
        Customer.objects.filter(pk=guest.pk).update(**updates)
    for name, value in updates.items():
        setattr(guest, name, value)
    return guest


def registration_code_send(*, store, identity: str, mode: str | None = None) -> None:
    """Send a code to register with `identity`, an email address or a phone number; `mode`
    ("email" or "sms", else what the identity is) must be what the identity is."""
    kind, identity = identity_clean(store, identity)
    mode = mode or ("email" if kind == "email" else "sms")
    if (mode == "email") != (kind == "email"):
        raise ValidationError({"mode": [f"This identity is not an {mode} address."]})
    verification_code_send(store=store, identity=identity, purpose=VerificationCode.Purpose.CREATE)


def customer_register_with_code(
    *,
    store,
    identity: str,
    code: str,
    name: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    metadata: dict | None = None,
) -> tuple[Customer, str]:
    """Register with the code registration_code_send sent to `identity` (customer_register: the
    other contact is taken from `email` or `phone`), and log in: (customer, token).

    The code is used up only with the account made, in one transaction: a registration
    refused for its password, name or contact leaves the code for the corrected retry. A
    wrong code counts a try (five kill it) and is an error on "code".
    """
    kind, identity = identity_clean(store, identity)
    record = verification_code_match(
        store=store, identity=identity, purpose=VerificationCode.Purpose.CREATE, code=code
    )
    with transaction.atomic():
        verification_code_spend(record=record)
        customer = customer_register(
            store=store,
            identity_kind=kind,
            identity=identity,
            name=name,
            email=email if kind == "phone" else "",
            phone=phone if kind == "email" else "",
            password=password or None,
            metadata=metadata,
        )
        return customer, customer_login(customer=customer, method="registration")


# How a shopper proved who they are, named on their "logged in" events.
LOGIN_METHODS = ("password", "sms", "registration", *SocialIdentity.Provider.values)


class LoginRefused(Exception):
    """The identity and secret open no account. The caller answers the same for every reason,
    so nobody learns which emails or phones have one."""


def customer_login(*, customer: Customer, method: str) -> str:
    """Open a session for `customer`, who has just proved who they are by `method` (one of
    LOGIN_METHODS): a "logged in" event naming the method, the last-login time, and a new
    Customer-Token, returned once. Every way in goes through here: password, SMS code,
    registration, Apple, Google and Facebook."""
    if method not in LOGIN_METHODS:
        raise ValueError(f"Unknown login method {method!r}")
    with transaction.atomic():
        event_record(
            customer=customer,
            type=CustomerEvent.Type.LOGGED_IN,
            actor_customer=customer,
            data={"method": method},
        )
        return customer_token_issue(customer=customer)


def customer_login_with_password(*, store, identity: str, password: str) -> tuple[Customer, str]:
    """(customer, token) for the open, registered account whose email or phone is `identity`
    and whose password is `password`; LoginRefused otherwise."""
    customer = customer_authenticate(store=store, identity=identity, password=password)
    if customer is None:
        raise LoginRefused()
    return customer, customer_login(customer=customer, method="password")


def customer_login_with_code(*, store, identity: str, code: str) -> tuple[Customer, str]:
    """(customer, token) for the registered, open account of the phone `identity` with the
    code customer_login_code_send texted it. A wrong code counts a try and is an error on
    "code"; an identity that is no phone, or an account closed since, is LoginRefused and
    leaves the code unused."""
    try:
        kind, identity = identity_clean(store, identity)
    except ValidationError as exc:
        raise LoginRefused() from exc
    record = verification_code_match(
        store=store, identity=identity, purpose=VerificationCode.Purpose.LOGIN, code=code
    )
    with transaction.atomic():
        customer = customer_find_by_identity(store, kind, identity, registered=True)
        if customer is None:
            raise LoginRefused()
        verification_code_spend(record=record)
        customer_contact_verified(customer=customer, field="phone")
        return customer, customer_login(customer=customer, method="sms")


def customer_profile_update(
    *, customer: Customer, data: dict, current_password: str | None = None, keep_token=None
) -> Customer:
    """A shopper changes their own profile: the fields of `data` (customer_update's, `name`
    split into first and last unless those are sent too), `metadata` merged into theirs.

    A new `password` needs `current_password` when one is set, and ends every other session
    (`keep_token`, the session making the change, goes on). Everything is checked first and
    saved in one transaction, or nothing is: a new password sent with a bad email changes
    neither. Errors about the names `name` made are on "name".

    A new `email` or `phone` (valid, and free in the store) is not applied: it becomes the
    customer's pending one and a code goes to it (customer_contact_confirm applies it). One
    the customer has already changes nothing; an empty one removes theirs at once, as long as
    the other remains (a pending one does not count).
    """
    data = dict(data)
    renames = {}
    if "name" in data:
        first_name, last_name = split_name(data.pop("name"))
        for field, value in (("first_name", first_name), ("last_name", last_name)):
            if field not in data:
                data[field] = value
                renames[field] = "name"
    password = data.get("password")
    if password and customer.has_password and not customer.check_password(current_password or ""):
        raise ValidationError({"current_password": ["The current password is not right."]})
    contact = {field: data.pop(field) for field in CONTACT_FIELDS if field in data}
    try:
        removed, pending = _contact_change_split(customer, contact)
    except ValidationError as exc:
        errors = exc.update_error_dict({})
        _collect(errors, _customer_update_clean, customer, data, merge_metadata=True)
        raise _renamed(ValidationError(errors), renames) from None
    data.update(removed)
    try:
        with transaction.atomic():
            customer = customer_update(
                customer=customer, data=data, actor_customer=customer, merge_metadata=True
            )
            if password:
                customer_tokens_revoke_all(customer=customer, keep=keep_token)
            if pending:
                _contact_change_request(customer, pending)
    except ValidationError as exc:
        raise _renamed(exc, renames) from None
    return customer


# --- Verified and pending contacts ---------------------------------------------------------

NOTHING_PENDING = "No change to this email or phone is waiting for a code."


def customer_contact_verified(*, customer: Customer, field: str) -> None:
    """`customer` has just proven their `field` ("email" or "phone") is theirs (a code sent to
    it, or a provider's verified email): note when, unless it was noted already."""
    if field not in CONTACT_FIELDS:
        raise ValueError(f"Not a contact field: {field!r}")
    name = f"{field}_verified_at"
    if getattr(customer, name) is None:
        now = timezone.now()
        Customer.objects.filter(pk=customer.pk).update(**{name: now})
        setattr(customer, name, now)


def contact_change_asked(*, customer: Customer, data) -> bool:
    """Whether a shopper's profile change `data` names an email or phone other than theirs
    (one that customer_profile_update would send a code to, or refuse): what the shopper API
    throttles like every code send. Nothing is checked or written."""
    for field in CONTACT_FIELDS:
        value = data.get(field) if hasattr(data, "get") else None
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            if field == "email":
                value = value.strip().lower()
            else:
                value = normalize_phone(value, customer.store.phone_region)
        except ValidationError:
            return True
        if value != getattr(customer, field):
            return True
    return False


def _contact_change_split(customer: Customer, contact: dict) -> tuple[dict, dict]:
    """({field: ""} for each contact the customer removes, {field: value} for each new one,
    which waits for a code) of the `email` and `phone` a shopper sent; an unchanged one is in
    neither. Each must be valid and free in the store (ValidationError on its field)."""
    cleaned = customer_contact_clean(customer.store, contact, exclude_pk=customer.pk)
    removed, pending = {}, {}
    for field, value in cleaned.items():
        if value != getattr(customer, field):
            (pending if value else removed)[field] = value
    return removed, pending


def _contact_change_request(customer: Customer, pending: dict) -> None:
    """Keep `pending` ({"email" or "phone": value}) as what `customer` asked to change to, with
    a "contact change requested" event naming the fields (not the values: the timeline
    outlives a closed account's data), and send a code to each new value."""
    updates = {f"pending_{field}": value for field, value in pending.items()}
    Customer.objects.filter(pk=customer.pk).update(**updates)
    for name, value in updates.items():
        setattr(customer, name, value)
    event_record(
        customer=customer,
        type=CustomerEvent.Type.CONTACT_CHANGE_REQUESTED,
        actor_customer=customer,
        data={"fields": sorted(pending)},
    )
    for field in sorted(pending):
        verification_code_send(
            store=customer.store,
            identity=pending[field],
            purpose=VerificationCode.Purpose.CONTACT_CHANGE,
            customer=customer,
        )


def customer_contact_confirm(*, customer: Customer, identity: str, code: str) -> Customer:
    """Make the email or phone `customer` asked for (`identity`, their pending one) theirs with
    the code sent to it: the contact, its verified time, no longer pending, and a "contact
    change confirmed" event, in one transaction.

    `identity` that is not pending is a 422 on "identity"; a wrong code counts a try and is a
    422 on "code"; a value another customer of the store holds by now is a 422 on "identity"
    and leaves the code unused.
    """
    store = customer.store
    kind, value = identity_clean(store, identity)
    field = f"pending_{kind}"
    if getattr(customer, field) != value:
        raise ValidationError({"identity": [NOTHING_PENDING]})
    record = verification_code_match(
        store=store,
        identity=value,
        purpose=VerificationCode.Purpose.CONTACT_CHANGE,
        code=code,
        customer=customer,
    )
    try:
        with transaction.atomic():
            locked = Customer.objects.select_for_update().get(pk=customer.pk)
            if getattr(locked, field) != value:
                raise ValidationError({"identity": [NOTHING_PENDING]})
            try:
                customer_contact_clean(store, {kind: value}, exclude_pk=customer.pk)
            except ValidationError as exc:
                raise ValidationError({"identity": exc.message_dict[kind]}) from None
            verification_code_spend(record=record)
            now = timezone.now()
            Customer.objects.filter(pk=customer.pk).update(
                **{kind: value, f"{kind}_verified_at": now, field: "", "updated_at": now}
            )
            event_record(
                customer=customer,
                type=CustomerEvent.Type.CONTACT_CHANGED,
                actor_customer=customer,
                data={"fields": [kind]},
            )
    except IntegrityError as exc:  # another customer saved it between our check and ours
        raise _renamed(validation_error_from_integrity(exc), {kind: "identity"}) from exc
    customer.refresh_from_db()
    return customer


def customer_login_code_send(*, store, phone: str) -> None:
    """Text a login code to `phone` when it is a registered, open account's; otherwise do
    nothing, and the caller answers the same either way (nobody learns which phones exist)."""
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


def customer_closure_code_send(*, customer: Customer) -> None:
    """Send the code that confirms closing `customer`'s account to their email, else phone."""
    verification_code_send(
        store=customer.store,
        identity=customer.email or customer.phone,
        purpose=VerificationCode.Purpose.CLOSURE,
        customer=customer,
    )


def customer_close_with_code(*, customer: Customer, code: str) -> Customer:
    """Close `customer`'s account (customer_close) with the code customer_closure_code_send
    sent; a wrong code counts a try and is an error on "code"."""
    record = verification_code_match(
        store=customer.store,
        identity=customer.email or customer.phone,
        purpose=VerificationCode.Purpose.CLOSURE,
        code=code,
    )
    with transaction.atomic():
        verification_code_spend(record=record)
        return customer_close(customer=customer)


def customer_close(*, customer: Customer) -> Customer:
    """Close an account (App Store rule): sessions end, personal data is erased (name, email,
    phone, photo, birthday, metadata, tags, addresses, devices, sign-in identities), orders
    stay with the snapshot they were placed with, and a "closed" event is written."""
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
            email_verified_at=None,
            phone_verified_at=None,
            pending_email="",
            pending_phone="",
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


# --- Staff notes ----------------------------------------------------------------------------

NOTE_EXCERPT_LENGTH = 140
NOTES_PER_CUSTOMER = 500


def _note_clean(data: dict, *, partial: bool) -> dict:
    """{body, pinned} of `data` (`partial`: only those sent), checked: a body of 1 to
    CustomerNote.BODY_MAX_LENGTH characters once trimmed, pinned a boolean."""
    cleaned, errors = {}, {}
    unknown = sorted(set(data) - {"body", "pinned"})
    if unknown:
        errors.update({key: ["A note has only a body and pinned."] for key in unknown})
    if "body" in data or not partial:
        body = data.get("body")
        body = body.strip() if isinstance(body, str) else None
        if not body:
            errors["body"] = ["Write the note."]
        elif len(body) > CustomerNote.BODY_MAX_LENGTH:
            errors["body"] = [
                f"A note has at most {CustomerNote.BODY_MAX_LENGTH} characters; "
                f"this one has {len(body)}."
            ]
        else:
            cleaned["body"] = body
    if "pinned" in data:
        if not isinstance(data["pinned"], bool):
            errors["pinned"] = ["Use true or false."]
        else:
            cleaned["pinned"] = data["pinned"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _note_event(note: CustomerNote, type: CustomerEvent.Type, *, actor_user, actor_api_key):
    body = note.body
    excerpt = body if len(body) <= NOTE_EXCERPT_LENGTH else body[: NOTE_EXCERPT_LENGTH - 1] + "…"
    event_record(
        customer=note.customer,
        type=type,
        actor_user=actor_user,
        actor_api_key=actor_api_key,
        data={"note": note.pk, "excerpt": excerpt, "pinned": note.pinned},
    )


def note_create(
    *, customer: Customer, data: dict, actor_user=None, actor_api_key=None
) -> CustomerNote:
    """A staff note on `customer` by a staff user or a management API key (its author), with a
    "Note added" line on the timeline."""
    cleaned = _note_clean(data, partial=False)
    if CustomerNote.objects.filter(customer=customer).count() >= NOTES_PER_CUSTOMER:
        raise ValidationError(
            {"body": [f"A customer has at most {NOTES_PER_CUSTOMER} notes; delete one first."]}
        )
    with transaction.atomic():
        note = CustomerNote.objects.create(
            store_id=customer.store_id,
            customer=customer,
            author_user=actor_user,
            author_api_key=actor_api_key,
            **cleaned,
        )
        _note_event(
            note, CustomerEvent.Type.NOTE, actor_user=actor_user, actor_api_key=actor_api_key
        )
    return note


def note_update(
    *, note: CustomerNote, data: dict, actor_user=None, actor_api_key=None
) -> CustomerNote:
    """Change the body or pin of a note (who may is the caller's rule: authors their own,
    managers and back offices any); a line on the timeline when something changed."""
    cleaned = _note_clean(data, partial=True)
    changed = {key: value for key, value in cleaned.items() if getattr(note, key) != value}
    if not changed:
        return note
    with transaction.atomic():
        for key, value in changed.items():
            setattr(note, key, value)
        note.save(update_fields=[*changed, "updated_at"])
        _note_event(
            note,
            CustomerEvent.Type.NOTE_CHANGED,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
        )
    return note


def note_delete(*, note: CustomerNote, actor_user=None, actor_api_key=None) -> None:
    """Delete a note, with a "Note deleted" line (its excerpt) on the timeline."""
    with transaction.atomic():
        _note_event(
            note,
            CustomerEvent.Type.NOTE_DELETED,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
        )
        note.delete()


# --- Customer groups ------------------------------------------------------------------------

GROUPS_MAX = 100
GROUP_NAME_MAX_LENGTH = CustomerGroup._meta.get_field("name").max_length
GROUP_DESCRIPTION_MAX_LENGTH = CustomerGroup._meta.get_field("description").max_length


def customer_group_find(store, value) -> CustomerGroup | None:
    """The group `value` names for a customer of `store` (the account): a CustomerGroup or its
    id, of that account; None for no group. Anything else is an error on "customer_group"."""
    if value is None or value == "":
        return None
    if isinstance(value, CustomerGroup):
        group = value if value.store_id == store.pk else None
    elif isinstance(value, int) and not isinstance(value, bool):
        group = CustomerGroup.objects.filter(store=store, pk=value).first()
    else:
        raise ValidationError({"customer_group": ["Give a group's id, or null for none."]})
    if group is None:
        raise ValidationError({"customer_group": ["No such group in this store."]})
    return group


def _group_clean(store, data: dict, *, group: CustomerGroup | None = None) -> dict:
    cleaned, errors = {}, {}
    unknown = sorted(set(data) - {"name", "description"})
    if unknown:
        errors.update({key: ["A group has only a name and a description."] for key in unknown})
    if "name" in data or group is None:
        name = data.get("name")
        name = " ".join(name.split()) if isinstance(name, str) else ""
        if not name:
            errors["name"] = ["Enter a group name."]
        elif len(name) > GROUP_NAME_MAX_LENGTH:
            errors["name"] = [f"A group name has at most {GROUP_NAME_MAX_LENGTH} characters."]
        elif (
            CustomerGroup.objects.filter(store=store, name__iexact=name)
            .exclude(pk=getattr(group, "pk", None))
            .exists()
        ):
            errors["name"] = ["A group with this name already exists."]
        else:
            cleaned["name"] = name
    if "description" in data:
        description = data["description"]
        description = description.strip() if isinstance(description, str) else None
        if description is None:
            errors["description"] = ["Give a text."]
        elif len(description) > GROUP_DESCRIPTION_MAX_LENGTH:
            errors["description"] = [
                f"A description has at most {GROUP_DESCRIPTION_MAX_LENGTH} characters."
            ]
        else:
            cleaned["description"] = description
    if errors:
        raise ValidationError(errors)
    return cleaned


def customer_group_create(*, store, data: dict) -> CustomerGroup:
    """A new group of `store` (at most GROUPS_MAX), its name unique whatever its case."""
    cleaned = _group_clean(store, data)
    if CustomerGroup.objects.filter(store=store).count() >= GROUPS_MAX:
        raise ValidationError({"name": [f"A store has at most {GROUPS_MAX} groups."]})
    try:
        with transaction.atomic():
            return CustomerGroup.objects.create(store=store, **cleaned)
    except IntegrityError as exc:  # the same name created at the same moment
        raise ValidationError({"name": ["A group with this name already exists."]}) from exc


def customer_group_update(*, group: CustomerGroup, data: dict) -> CustomerGroup:
    cleaned = _group_clean(group.store, data, group=group)
    for key, value in cleaned.items():
        setattr(group, key, value)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as exc:
        raise ValidationError({"name": ["A group with this name already exists."]}) from exc
    return group


def customer_group_delete(*, group: CustomerGroup) -> int:
    """Delete the group; its customers are in no group after it. How many they were."""
    with transaction.atomic():
        count = Customer.objects.filter(customer_group=group).update(customer_group=None)
        group.delete()
    return count
