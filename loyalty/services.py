"""Loyalty writes: enrolling, stamping, redeeming, adjusting and expiring.

Each action changes a balance and writes exactly one ledger entry with the balance it left,
in one transaction, holding the enrolment's row lock so that concurrent stamps on one card
neither lose an update nor record a wrong balance_after.
"""

import re
import secrets
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from customers.models import Customer, CustomerEvent
from customers.selectors import CODE_SEPARATORS, customers_with_references
from customers.services import (
    customer_create,
    customer_update,
    event_record,
)
from customers.tasks import message_queue
from loyalty.models import (
    MAX_EXPIRY_DAYS,
    MAX_STAMPS_PER_DAY,
    MAX_STAMPS_REQUIRED,
    CustomerCard,
    LoyaltyCard,
    Reward,
    StampEntry,
)
from stores.events import event_emit
from stores.models import Store

MAX_STAMPS_PER_CALL = 100
CODE_DIGITS = 12
CODE_MAX_LENGTH = CustomerCard._meta.get_field("code").max_length
NOTE_MAX_LENGTH = StampEntry._meta.get_field("note").max_length
# A code set by hand (the barcode of a card handed out) is letters and digits; it is stored as
# the generator's are, in capitals, without the spaces or dashes typed between groups (search
# finds it however it is typed: customers.selectors). The separators are search's own.
_CODE_CHARACTERS = re.compile(r"[0-9A-Za-z]+", re.ASCII)
CODE_CHARACTERS_MESSAGE = (
    "A card code takes letters A–Z and digits only; spaces and dashes between groups are dropped."
)
CODE_LENGTH_MESSAGE = f"A card code has at most {CODE_MAX_LENGTH} letters and digits."
CODE_EMPTY_MESSAGE = "Enter the card's code (letters and digits)."
CODE_TAKEN_MESSAGE = next(
    constraint.violation_error_message
    for constraint in CustomerCard._meta.constraints
    if constraint.name == "enrolment_code_unique_per_store"
)
NOTE_MESSAGE = f"A note has at most {NOTE_MAX_LENGTH} characters."
# Where a network's card is stamped or redeemed: one of its member stores (the API's store_id).
AT_STORE_NETWORK_MESSAGE = "Give the id of one of the network's member stores."
AT_STORE_OWN_MESSAGE = "This card is stamped and redeemed at its own store only."
STORE_ID_MESSAGE = "Give a store's numeric id: one of the network's member stores."
# A card's and a reward's description (TextFields): refused past this, never cut.
DESCRIPTION_MAX_LENGTH = 1000
DESCRIPTION_MESSAGE = f"A description has at most {DESCRIPTION_MAX_LENGTH} characters."


def _refusal(field: str, message: str, code: str) -> ValidationError:
    """A field error whose code survives (the APIs map codes like "daily_limit" to answers)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def card_code_normalise(code: str) -> str:
    """A card code as it is stored: upper case, without the spaces or dashes typed between
    groups ("ab12-cd34" → "AB12CD34"). Anything but ASCII letters and digits (once those
    separators are gone), nothing at all, or more than CODE_MAX_LENGTH characters is a
    ValidationError on "code"."""
    compact = CODE_SEPARATORS.sub("", str(code or ""))
    if not compact:
        raise _refusal("code", CODE_EMPTY_MESSAGE, "required")
    if not _CODE_CHARACTERS.fullmatch(compact):
        raise _refusal("code", CODE_CHARACTERS_MESSAGE, "invalid")
    if len(compact) > CODE_MAX_LENGTH:
        raise _refusal("code", CODE_LENGTH_MESSAGE, "too_long")
    return compact.upper()


def card_code_clean(*, store, code: str) -> str:
    """card_code_normalise(code), refused on "code" when another card of `store` has it."""
    code = card_code_normalise(code)
    if CustomerCard.objects.filter(store=store, code=code).exists():
        raise _refusal("code", CODE_TAKEN_MESSAGE, "taken")
    return code


def _note_clean(note: str | None) -> str:
    """A ledger note is at most NOTE_MAX_LENGTH characters: refused on "note", never cut."""
    note = note or ""
    if len(note) > NOTE_MAX_LENGTH:
        raise _refusal("note", NOTE_MESSAGE, "too_long")
    return note


def _lock(enrolment: CustomerCard) -> CustomerCard:
    return (
        CustomerCard.objects.select_for_update(of=("self",))
        .select_related("card", "customer", "store")
        .get(pk=enrolment.pk)
    )


def _refresh_into(enrolment: CustomerCard, locked: CustomerCard) -> CustomerCard:
    locked.refresh_from_db()
    for field in ("stamps_count", "status", "last_stamped_at", "updated_at"):
        setattr(enrolment, field, getattr(locked, field))
    return enrolment


def at_store_clean(*, account: Store, at_store: Store | None) -> Store | None:
    """The store a ledger entry of a card of `account` records, for an action made at
    `at_store`: a store's own card is stamped at that store (None means it too); a network's
    card at any of its member stores, or by the network itself without a store (None, kept as
    null). Anything else (another store, a store of another network, the network given as a
    store) is a ValidationError on "store_id"."""
    if at_store is None:
        return None if account.is_network else account
    if not at_store.is_network:
        if at_store.pk == account.pk:
            return at_store
        if account.is_network and at_store.network_id == account.pk:
            return at_store
    if account.is_network:
        raise _refusal("store_id", AT_STORE_NETWORK_MESSAGE, "not_a_member")
    raise _refusal("store_id", AT_STORE_OWN_MESSAGE, "other_store")


def at_store_find(*, account: Store, store_id: int | None) -> Store | None:
    """The store `store_id` names (the management API's), checked by at_store_clean for a card
    of `account`; an id of no store at all is refused with the same message as a store
    outside the network (so an id says nothing of other accounts)."""
    if store_id is None:
        return None
    at_store = Store.objects.filter(pk=store_id).first()
    if at_store is None:
        message = AT_STORE_NETWORK_MESSAGE if account.is_network else AT_STORE_OWN_MESSAGE
        raise _refusal("store_id", message, "not_found")
    at_store_clean(account=account, at_store=at_store)
    return at_store


def _entry(locked: CustomerCard, *, kind, delta, actor_user, actor_api_key, **extra) -> StampEntry:
    extra.setdefault("store", None if locked.store.is_network else locked.store)
    return StampEntry.objects.create(
        enrolment=locked,
        kind=kind,
        delta=delta,
        balance_after=locked.stamps_count + delta,
        actor_user=actor_user,
        actor_api_key=actor_api_key,
        **extra,
    )


def _at_store_data(locked: CustomerCard, store: Store | None) -> dict:
    """For the customer's timeline: which member store a network's card was used at."""
    if store is None or not locked.store.is_network:
        return {}
    return {"store": store.name}


def _refuse_if_closed(locked: CustomerCard, field: str) -> None:
    if locked.effective_status == CustomerCard.Status.EXPIRED:
        when = locked.expires_at or locked.card.expires_at
        detail = f" on {timezone.localtime(when, locked.store.tzinfo):%Y-%m-%d}" if when else ""
        raise _refusal(field, f"This card expired{detail}.", "expired")
    if locked.status == CustomerCard.Status.CANCELED:
        raise _refusal(field, "This card was canceled.", "canceled")


def card_enrol_check(*, customer: Customer, card: LoyaltyCard) -> None:
    """Why card_enrol would refuse to enrol `customer` in `card` (a ValidationError on
    "card_id"): a card of another store, archived, ended, or one the customer already holds."""
    if card.store_id != customer.store_id:
        raise ValidationError({"card_id": ["This card belongs to another store."]})
    if card.archived:
        raise ValidationError({"card_id": ["This card is archived; it takes no new customers."]})
    if card.expires_at and card.expires_at <= timezone.now():
        raise ValidationError({"card_id": ["This card programme has ended."]})
    if customer.pk and CustomerCard.objects.filter(customer=customer, card=card).exists():
        raise ValidationError({"card_id": ["The customer is already enrolled in this card."]})


def card_enrol(
    *,
    customer: Customer,
    card: LoyaltyCard,
    actor_user=None,
    actor_api_key=None,
    issued_at: datetime | None = None,
    code: str | None = None,
) -> CustomerCard:
    """Enrol `customer` in `card`, applying the card's welcome stamps (initial_stamps) as a
    "welcome" ledger entry. The barcode is `code` when given (the card handed to them, stored
    by card_code_normalise and free in the store: else an error on "code"), or a fresh one.
    Refused as card_enrol_check says."""
    errors: dict[str, list] = {}
    try:
        card_enrol_check(customer=customer, card=card)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    chosen = None
    if code is not None:
        try:
            chosen = card_code_clean(store=customer.store, code=code)
        except ValidationError as exc:
            exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    issued_at = issued_at or timezone.now()
    expires_at = issued_at + timedelta(days=card.expiry_days) if card.expiry_days else None
    if card.expires_at and (expires_at is None or card.expires_at < expires_at):
        expires_at = card.expires_at

    for _attempt in range(1 if chosen else 5):
        try:
            with transaction.atomic():
                enrolment = CustomerCard.objects.create(
                    store_id=customer.store_id,
                    customer=customer,
                    card=card,
                    code=chosen or _new_code(),
                    issued_at=issued_at,
                    expires_at=expires_at,
                )
                if card.initial_stamps:
                    enrolment.store = customer.store
                    _entry(
                        enrolment,
                        kind=StampEntry.Kind.WELCOME,
                        delta=card.initial_stamps,
                        actor_user=actor_user,
                        actor_api_key=actor_api_key,
                    )
                    CustomerCard.objects.filter(pk=enrolment.pk).update(
                        stamps_count=card.initial_stamps
                    )
                    enrolment.stamps_count = card.initial_stamps
                event_record(
                    customer=customer,
                    type=CustomerEvent.Type.CARD_ENROLLED,
                    actor_user=actor_user,
                    actor_api_key=actor_api_key,
                    data={"card": card.name, "code": enrolment.code, "stamps": card.initial_stamps},
                )
                event_emit(store=customer.store_id, type="customer_card.created", obj=enrolment)
            return enrolment
        except IntegrityError as exc:
            if "enrolment_one_per_card" in str(
                exc
            ) or "customer_id, loyalty_customercard.card_id" in str(exc):
                raise ValidationError(
                    {"card_id": ["The customer is already enrolled in this card."]}
                ) from exc
            if chosen:  # taken meanwhile by another request
                raise _refusal("code", CODE_TAKEN_MESSAGE, "taken") from exc
            continue  # a code collision: draw another code
    raise ValidationError({"card_id": ["Could not issue a card code; try again."]})


def customer_create_enrolled(
    *, card: LoyaltyCard | None = None, actor_user=None, actor_api_key=None, **customer_fields
) -> tuple[Customer, CustomerCard | None]:
    """Create a customer (customers.services.customer_create) and, when `card` is given, enrol
    them with its welcome stamps: both happen, or neither."""
    with transaction.atomic():
        customer = customer_create(
            actor_user=actor_user, actor_api_key=actor_api_key, **customer_fields
        )
        enrolment = (
            card_enrol(
                customer=customer, card=card, actor_user=actor_user, actor_api_key=actor_api_key
            )
            if card is not None
            else None
        )
    return customer, enrolment


def _reference_holder(*, store, references) -> Customer | None:
    holders = customers_with_references(store=store, references=references)
    if len(holders) > 1:
        raise ValidationError(
            {"external_references": ["These references belong to different customers."]}
        )
    return holders[0] if holders else None


def customer_upsert_by_reference(
    *,
    store,
    card: LoyaltyCard | None = None,
    external_references=(),
    actor_api_key=None,
    **customer_fields,
) -> tuple[Customer, CustomerCard | None, bool]:
    """Create a customer (enrolled in `card`), or, when one of `external_references` already
    belongs to a customer of the store, update that one instead (metadata merged, enrolled in
    `card` if not yet), so that a retried create never makes a duplicate.

    Returns (customer, the enrolment made by this call or None, created?). References that
    belong to two different customers are a ValidationError.
    """
    references = list(external_references or ())
    existing = _reference_holder(store=store, references=references)
    if existing is None:
        try:
            customer, enrolment = customer_create_enrolled(
                store=store,
                card=card,
                actor_api_key=actor_api_key,
                external_references=references,
                **customer_fields,
            )
            return customer, enrolment, True
        except ValidationError:
            # A retry racing the first attempt: once its reference is saved, it is a retry.
            existing = _reference_holder(store=store, references=references)
            if existing is None:
                raise
    with transaction.atomic():
        customer = customer_update(
            customer=existing,
            data=customer_fields,
            external_references=references,
            merge_metadata=True,
            actor_api_key=actor_api_key,
        )
        enrolment = None
        if card is not None and not customer.cards.filter(card=card).exists():
            enrolment = card_enrol(customer=customer, card=card, actor_api_key=actor_api_key)
    return customer, enrolment, False


def stamps_given_today(enrolment: CustomerCard) -> int:
    """Stamps the enrolment got today, in its card account's time zone: for a network's card,
    at every member store together (the daily limit is the card's, not a counter's)."""
    tz = enrolment.store.tzinfo
    start = datetime.combine(timezone.localtime(timezone.now(), tz).date(), time.min, tzinfo=tz)
    given = enrolment.entries.filter(kind=StampEntry.Kind.STAMP, created_at__gte=start).aggregate(
        total=Sum("delta")
    )["total"]
    return given or 0


def stamp_add(
    *,
    enrolment: CustomerCard,
    count: int = 1,
    actor_user=None,
    actor_api_key=None,
    note: str = "",
    notify: bool = False,
    at_store: Store | None = None,
) -> CustomerCard:
    """Add `count` stamps (1–100) to an active enrolment, within the card's daily limit
    (counted over the whole card, whichever member store stamped it). The entry records
    `at_store` (at_store_clean: refused on "store_id" unless the card's own store or, for a
    network's card, one of its member stores). With `notify`, the customer is told their
    balance, or that a reward is ready, by a job after the commit
    (stamps_notification_queue)."""
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not (1 <= count <= MAX_STAMPS_PER_CALL)
    ):
        raise _refusal(
            "stamps", f"Add from 1 to {MAX_STAMPS_PER_CALL} stamps at a time.", "invalid"
        )
    note = _note_clean(note)
    with transaction.atomic():
        locked = _lock(enrolment)
        store = at_store_clean(account=locked.store, at_store=at_store)
        _refuse_if_closed(locked, "stamps")
        limit = locked.card.max_stamps_per_day
        if limit:
            left = max(limit - stamps_given_today(locked), 0)
            if count > left:
                raise _refusal(
                    "stamps",
                    f"This card takes at most {limit} stamps a day; {left} left today.",
                    "daily_limit",
                )
        entry = _entry(
            locked,
            kind=StampEntry.Kind.STAMP,
            delta=count,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
            note=note,
            store=store,
        )
        CustomerCard.objects.filter(pk=locked.pk).update(
            stamps_count=F("stamps_count") + count, last_stamped_at=timezone.now()
        )
        event_record(
            customer=locked.customer,
            type=CustomerEvent.Type.STAMPS_ADDED,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
            data={
                "card": locked.card.name,
                "stamps": count,
                "balance": locked.stamps_count + count,
                **_at_store_data(locked, store),
            },
        )
        if notify:
            stamps_notification_queue(enrolment=locked, entry=entry)
        event_emit(store=locked.store_id, type="customer_card.stamped", obj=locked)
    return _refresh_into(enrolment, locked)


def stamps_notification_queue(*, enrolment: CustomerCard, entry: StampEntry) -> None:
    """Tell the customer (by e-mail, else SMS) what the stamps of `entry` left: "a reward is
    ready" when they reached a reward's price, else "you have N stamps". One message per
    entry (its key), sent by a job after the commit."""
    customer = enrolment.customer
    to = customer.email or customer.phone
    if not to:
        return
    before, after = entry.balance_after - entry.delta, entry.balance_after
    ready = list(
        enrolment.card.rewards.filter(
            active=True, stamps_required__gt=before, stamps_required__lte=after
        )
        .order_by("stamps_required", "position", "id")
        .values_list("name", flat=True)
    )
    card, store = enrolment.card.name, enrolment.store.name
    stamps = f"{after} stamp{'' if after == 1 else 's'}"
    if ready:
        body = f"A reward is ready on {card} at {store}: {', '.join(ready)}."
        body += f" You have {stamps}."
    else:
        body = f"You have {stamps} on {card} at {store}."
    message_queue(
        store=enrolment.store,
        customer=customer,
        kind="stamp notification",
        to=to,
        subject="A reward is ready" if ready else f"You have {stamps}",
        body=body,
        key=f"stamps:{entry.pk}",
    )


def reward_redeem(
    *,
    enrolment: CustomerCard,
    reward: Reward,
    actor_user=None,
    actor_api_key=None,
    note: str = "",
    at_store: Store | None = None,
) -> StampEntry:
    """Spend the reward's stamps_required from the balance; refuses when there are too few.
    The entry records `at_store`, checked as stamp_add checks it.

    Returns the "redeem" ledger entry (its balance_after is what remains).
    """
    if reward.card_id != enrolment.card_id:
        raise ValidationError({"reward_id": ["This reward belongs to another card."]})
    if not reward.active:
        raise ValidationError({"reward_id": ["This reward is not available any more."]})
    note = _note_clean(note)
    with transaction.atomic():
        locked = _lock(enrolment)
        store = at_store_clean(account=locked.store, at_store=at_store)
        _refuse_if_closed(locked, "reward_id")
        cost = reward.stamps_required
        if locked.stamps_count < cost:
            raise _refusal(
                "reward_id",
                f"{reward.name} needs {cost} stamps; the card has {locked.stamps_count}.",
                "insufficient_stamps",
            )
        entry = _entry(
            locked,
            kind=StampEntry.Kind.REDEEM,
            delta=-cost,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
            reward=reward,
            reward_name=reward.name,
            note=note,
            store=store,
        )
        updated = CustomerCard.objects.filter(pk=locked.pk, stamps_count__gte=cost).update(
            stamps_count=F("stamps_count") - cost
        )
        if updated != 1:  # cannot happen under the row lock; kept as the last line of defence
            raise _refusal("reward_id", "Not enough stamps.", "insufficient_stamps")
        event_record(
            customer=locked.customer,
            type=CustomerEvent.Type.REWARD_REDEEMED,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
            data={
                "card": locked.card.name,
                "reward": reward.name,
                "stamps": cost,
                **_at_store_data(locked, store),
            },
        )
        event_emit(store=locked.store_id, type="customer_card.redeemed", obj=locked)
    _refresh_into(enrolment, locked)
    return entry


def enrolment_adjust(
    *,
    enrolment: CustomerCard,
    delta: int,
    note: str = "",
    actor_user=None,
    actor_api_key=None,
    at_store: Store | None = None,
) -> CustomerCard:
    """Correct a balance by `delta` (either sign, not zero); the balance never goes below 0.
    The entry records `at_store`, checked as stamp_add checks it."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationError({"delta": ["Give a whole number of stamps other than 0."]})
    note = _note_clean(note)
    with transaction.atomic():
        locked = _lock(enrolment)
        store = at_store_clean(account=locked.store, at_store=at_store)
        if locked.stamps_count + delta < 0:
            raise _refusal(
                "delta",
                f"The card has {locked.stamps_count} stamps; it cannot go below 0.",
                "insufficient_stamps",
            )
        _entry(
            locked,
            kind=StampEntry.Kind.ADJUST,
            delta=delta,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
            note=note,
            store=store,
        )
        CustomerCard.objects.filter(pk=locked.pk).update(stamps_count=F("stamps_count") + delta)
        event_record(
            customer=locked.customer,
            type=CustomerEvent.Type.STAMPS_ADJUSTED,
            actor_user=actor_user,
            actor_api_key=actor_api_key,
            data={"card": locked.card.name, "delta": delta, "note": note},
        )
    return _refresh_into(enrolment, locked)


def enrolment_expire(*, enrolment: CustomerCard) -> CustomerCard:
    """Close an enrolment whose time has passed: status expired, remaining stamps written off
    with an "expire" entry. Does nothing to an enrolment that has not expired."""
    with transaction.atomic():
        locked = _lock(enrolment)
        if locked.status != CustomerCard.Status.ACTIVE or not locked.is_expired:
            return _refresh_into(enrolment, locked)
        _entry(
            locked,
            kind=StampEntry.Kind.EXPIRE,
            delta=-locked.stamps_count,
            actor_user=None,
            actor_api_key=None,
        )
        CustomerCard.objects.filter(pk=locked.pk).update(
            stamps_count=0, status=CustomerCard.Status.EXPIRED
        )
        event_record(
            customer=locked.customer,
            type=CustomerEvent.Type.CARD_EXPIRED,
            data={"card": locked.card.name, "stamps_lost": locked.stamps_count},
        )
    return _refresh_into(enrolment, locked)


# --- Card programmes ---------------------------------------------------------------------------


# The card programme's rules, in the words every face (console, admin, management API) shows.
STAMPS_REQUIRED_MESSAGE = f"A card needs from 1 to {MAX_STAMPS_REQUIRED} stamps."
WELCOME_STAMPS_MESSAGE = "Welcome stamps must be fewer than the stamps required: 0 to {most}."
EXPIRY_DAYS_MESSAGE = (
    f"Give from 1 to {MAX_EXPIRY_DAYS:,} days, or none for cards that never expire."
)
DAILY_LIMIT_MESSAGE = (
    f"Give a daily limit from 1 to {MAX_STAMPS_PER_DAY:,} stamps, or none for no limit."
)
# Whole numbers the rules above bound; a form only reads them (see loyalty.forms).
CARD_BOUNDS = {
    "stamps_required": (1, MAX_STAMPS_REQUIRED),
    "initial_stamps": (0, MAX_STAMPS_REQUIRED - 1),
    "expiry_days": (1, MAX_EXPIRY_DAYS),
    "max_stamps_per_day": (1, MAX_STAMPS_PER_DAY),
}


def _within(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def card_clean(card: LoyaltyCard, *, exclude: Iterable[str] = ()) -> None:
    """Check a card programme before it is saved: 1–21 stamps for a full card, welcome stamps
    from 0 to fewer than that, each enrolment expiring after 1–36,500 days or never, a daily
    limit of 1–1,000 stamps or none; then the model's own validation (lengths, colours, the
    database's constraints). A ValidationError keyed by field, one message a field.

    Fields in `exclude` are not checked: a form that could not read a value has said so, and
    the rules that need it wait for it."""
    exclude = set(exclude)
    errors: dict[str, list[str]] = {}
    required = None if "stamps_required" in exclude else card.stamps_required
    if "stamps_required" not in exclude and not _within(required, 1, MAX_STAMPS_REQUIRED):
        errors["stamps_required"] = [STAMPS_REQUIRED_MESSAGE]
        required = None
    # Without a valid full card, welcome stamps are checked against the largest one.
    most = required - 1 if required else MAX_STAMPS_REQUIRED - 1
    if "initial_stamps" not in exclude and not _within(card.initial_stamps, 0, most):
        errors["initial_stamps"] = [WELCOME_STAMPS_MESSAGE.format(most=most)]
    for field, message in (
        ("expiry_days", EXPIRY_DAYS_MESSAGE),
        ("max_stamps_per_day", DAILY_LIMIT_MESSAGE),
    ):
        value = getattr(card, field)  # None: never expires, no limit
        if field not in exclude and value is not None and not _within(value, *CARD_BOUNDS[field]):
            errors[field] = [message]
    if len(card.description or "") > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [DESCRIPTION_MESSAGE]
    try:
        # Constraints over a field refused or excluded are skipped (Model.full_clean).
        card.full_clean(exclude=["store", *exclude, *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


def reward_cost_clean(*, stamps_required: int, card_stamps_required: int) -> None:
    """A reward costs at most a full card (the model and the database see to at least 1)."""
    if stamps_required > card_stamps_required:
        raise _refusal(
            "stamps_required",
            f"A reward costs at most the card's {card_stamps_required} stamps.",
            "reward_over_card",
        )


def reward_clean(reward: Reward, *, card: LoyaltyCard) -> None:
    """Check a reward of `card` before it is saved: its field validators and constraints (at
    least 1 stamp), and a cost of at most the card's stamps_required. Keyed by field."""
    errors: dict[str, list[str]] = {}
    try:
        reward.full_clean(exclude=["card"])
    except ValidationError as exc:
        errors = exc.message_dict
    if len(reward.description or "") > DESCRIPTION_MAX_LENGTH:
        errors.setdefault("description", [DESCRIPTION_MESSAGE])
    if "stamps_required" not in errors:
        try:
            reward_cost_clean(
                stamps_required=reward.stamps_required, card_stamps_required=card.stamps_required
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


def card_save(
    *,
    card: LoyaltyCard,
    rewards: Iterable[Reward] = (),
    deleted_rewards: Iterable[Reward] = (),
) -> LoyaltyCard:
    """Create or update a card programme with its new, changed and deleted rewards, all in one
    transaction: either everything is saved or nothing is.

    The card and each reward are validated first (card_clean; each reward by its field
    validators and constraints, and none costing more than the card's stamps_required, counting
    the rewards not passed in). Errors are keyed by LoyaltyCard field names, and "rewards" for a
    reward's problem. Redemptions of a deleted reward keep its name in the ledger.
    """
    rewards, deleted_rewards = list(rewards), list(deleted_rewards)
    card_clean(card)
    problems = []
    for reward in rewards:
        try:
            reward_clean(reward, card=card)
        except ValidationError as exc:
            problems += [f"{reward.name}: {message}" for message in exc.messages]
    if card.pk:  # the rewards this call leaves as they are must still fit the card
        untouched = card.rewards.exclude(pk__in=[r.pk for r in rewards + deleted_rewards if r.pk])
        problems += [
            f"{reward.name}: costs more than the card's {card.stamps_required} stamps."
            for reward in untouched.filter(stamps_required__gt=card.stamps_required)
        ]
    if problems:
        raise ValidationError({"rewards": problems})
    with transaction.atomic():
        card.save()
        if deleted_rewards:
            Reward.objects.filter(card=card, pk__in=[r.pk for r in deleted_rewards]).delete()
        for reward in rewards:
            reward.card = card
            reward.save()
    return card


# --- Card programmes, one at a time (the management API) ---------------------------------------

CARD_FIELDS = (
    "name",
    "description",
    "stamps_required",
    "initial_stamps",
    "card_color",
    "text_color",
    "header_text",
    "expires_at",
    "expiry_days",
    "max_stamps_per_day",
    "archived",
)
REWARD_FIELDS = ("name", "description", "stamps_required", "active", "position")


def card_create(*, store, data: dict) -> LoyaltyCard:
    """A new card programme of `store` from `data` (LoyaltyCard fields in CARD_FIELDS; the
    others keep the model's defaults), checked by card_clean. Errors are keyed by field name."""
    card = LoyaltyCard(store=store, **{f: v for f, v in data.items() if f in CARD_FIELDS})
    card_clean(card)
    card.save()
    return card


def card_update(*, card: LoyaltyCard, data: dict) -> LoyaltyCard:
    """Change the fields in `data` (only those), validated like card_create; the card's
    rewards must still fit it (none may cost more than stamps_required). Holds the card's row
    lock so that a reward saved at the same time cannot slip past that check."""
    with transaction.atomic():
        locked = LoyaltyCard.objects.select_for_update().get(pk=card.pk)
        for field, value in data.items():
            if field in CARD_FIELDS:
                setattr(locked, field, value)
        card_clean(locked)
        too_dear = list(
            locked.rewards.filter(stamps_required__gt=locked.stamps_required).values_list(
                "name", "stamps_required"
            )
        )
        if too_dear:
            names = ", ".join(f"{name} ({cost})" for name, cost in too_dear)
            raise _refusal(
                "stamps_required",
                f"Rewards cost more than {locked.stamps_required} stamps: {names}. "
                "Change them first.",
                "reward_over_card",
            )
        locked.save()
    return locked


def reward_create(*, card: LoyaltyCard, data: dict) -> Reward:
    """A new reward of `card` from `data` (REWARD_FIELDS): it costs from 1 stamp to the card's
    stamps_required. Holds the card's row lock (see card_update)."""
    with transaction.atomic():
        locked = LoyaltyCard.objects.select_for_update().get(pk=card.pk)
        reward = Reward(card=locked, **{f: v for f, v in data.items() if f in REWARD_FIELDS})
        reward_clean(reward, card=locked)
        reward.save()
    return reward


def reward_update(*, reward: Reward, data: dict, card: LoyaltyCard | None = None) -> Reward:
    """Change the fields in `data` (REWARD_FIELDS) and, when `card` is given, move the reward
    to that card (the caller checks that it is of the same store). Validated like
    reward_create; redemptions already made keep the name they were made under."""
    with transaction.atomic():
        locked_card = LoyaltyCard.objects.select_for_update().get(pk=(card or reward.card).pk)
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        reward.card = locked_card
        for field, value in data.items():
            if field in REWARD_FIELDS:
                setattr(reward, field, value)
        reward_clean(reward, card=locked_card)
        reward.save()
    return reward


def reward_delete(*, reward: Reward) -> None:
    """Delete a reward. Its redemptions stay in the ledger, unlinked, under the reward's name
    (StampEntry.reward is SET_NULL and reward_name was written when redeemed)."""
    reward.delete()
