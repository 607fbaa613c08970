"""A store to fuzz both APIs against, and the schemathesis configuration that targets it.

Used by tests/test_openapi_fuzz.py (in-process, a few examples per operation) and by
`make fuzz` (`manage.py fuzz_setup` writes the configuration; the schemathesis CLI runs it
against a live server). Each destructive operation gets a target of its own, so deleting,
logging out or closing never takes away the rows and the session the other operations use;
RULES_BEYOND_THE_SCHEMA lists where a schema-valid request may still be refused, and why.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from customers.models import Customer
from customers.services import address_create, customer_create
from customers.tokens import customer_token_issue
from loyalty.services import card_create, card_enrol, reward_create, stamp_add
from orders.services import order_checkout
from reviews.services import review_create
from stores.models import Product
from stores.services import product_save, store_create

ACCOUNT = "/api/v1/accounts/{account_id}"
STOREFRONT = "/storefront/v1"


@dataclass
class FuzzStore:
    """The keys, the shopper's sessions and the ids the operations are pointed at."""

    store_id: int
    publishable_key: str
    secret_key: str
    token: str
    # Sessions of the shopper's own that one operation may end (logout, closure).
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)


def _customer(store, first_name: str, n: int, **fields) -> Customer:
    return customer_create(
        store=store,
        first_name=first_name,
        last_name="Fuzz",
        email=f"{first_name.lower()}@fuzz.example.com",
        phone=f"+1415555{n:04d}",
        **fields,
    )


def _place(customer: Customer, street: str):
    data = {"name": "Home", "street1": street, "city": "San Francisco", "country": "US"}
    return address_create(customer=customer, data=data)


def fuzz_store_create(name: str = "Fuzz Store") -> FuzzStore:
    """A store with keys, products, a card with rewards, and customers with places, orders,
    an enrolment with stamps and reviews."""
    created = store_create(name=name, phone_region="US", currency="USD", timezone="UTC")
    store = created.store
    products = [
        product_save(
            product=Product(
                store=store,
                name=f"Product {n}",
                sku=f"FUZZ-{n}",
                price=Decimal("4.50"),
                currency=store.currency,
            )
        )
        for n in range(3)
    ]
    card = card_create(
        store=store, data={"name": "Coffee card", "stamps_required": 10, "initial_stamps": 1}
    )
    reward = reward_create(card=card, data={"name": "A coffee", "stamps_required": 5})
    reward_doomed = reward_create(card=card, data={"name": "A cake", "stamps_required": 8})

    # The shopper (storefront API).
    ada = _customer(store, "Ada", 1, password="correct horse battery")
    ada_place = _place(ada, "1 Market Street")
    ada_place_doomed = _place(ada, "2 Market Street")
    order_checkout(store=store, customer=ada, items=[{"product": products[0].public_id}])
    ada_review = review_create(
        store=store, author=ada, subject=products[0], rating=5, content="Lovely."
    )
    ada_review_doomed = review_create(
        store=store, author=ada, subject=products[1], rating=4, content="Good."
    )

    # Another shopper, whose review Ada can vote on.
    bob = _customer(store, "Bob", 2, password="correct horse battery")
    bob_review = review_create(store=store, author=bob, subject=products[0], rating=3)

    # The back office's customer (management API), and one to delete.
    grace = _customer(store, "Grace", 3)
    grace_address = _place(grace, "3 Market Street")
    grace_address_doomed = _place(grace, "4 Market Street")
    enrolment = card_enrol(customer=grace, card=card)
    stamp_add(enrolment=enrolment, count=6)
    order_checkout(store=store, customer=grace, items=[{"product": products[1].public_id}])
    doomed = _customer(store, "Doomed", 4)

    return FuzzStore(
        store_id=store.pk,
        publishable_key=created.publishable_key,
        secret_key=created.secret_key,
        token=customer_token_issue(customer=ada),
        tokens={
            "logout": customer_token_issue(customer=ada),
            "closure": customer_token_issue(customer=ada),
        },
        ids={
            "ada": ada.public_id,
            "ada_place": ada_place.public_id,
            "ada_place_doomed": ada_place_doomed.public_id,
            "ada_review": ada_review.public_id,
            "ada_review_doomed": ada_review_doomed.public_id,
            "bob_review": bob_review.public_id,
            "product": products[0].public_id,
            "grace": grace.pk,
            "grace_address": grace_address.pk,
            "grace_address_doomed": grace_address_doomed.pk,
            "doomed": doomed.pk,
            "card": card.pk,
            "reward": reward.pk,
            "reward_doomed": reward_doomed.pk,
            "enrolment": enrolment.pk,
        },
    )


# Requests the schema allows that the API may still refuse with 422, for a rule no OpenAPI schema
# can state (a code sent by e-mail, a value unique in the store, a rule across two fields, what
# the database holds now). Everywhere else a schema-valid request must be accepted.
RULES_BEYOND_THE_SCHEMA = {
    "POST /storefront/v1/customers": "the code sent to the identity; a real email or phone, "
    "not registered yet; the name and metadata rules",
    "POST /storefront/v1/customers/request-creation-code": "a real email or phone number",
    "POST /storefront/v1/customers/login-with-sms": "a real phone number",
    "POST /storefront/v1/customers/verify-code": "a real email or phone number",
    "POST /storefront/v1/customers/{public_id}/verify-contact": "the code sent to the new "
    "email or phone",
    "PUT /storefront/v1/customers/{public_id}": "the current password; a real email or phone "
    "that no other customer holds; the name, birthday and metadata rules",
    "PATCH /storefront/v1/customers/{public_id}": "as PUT",
    "POST /storefront/v1/customers/confirm-account-closure": "the code sent",
    "POST /storefront/v1/customers/login-with-apple": "the store has not set Apple up",
    "POST /storefront/v1/customers/login-with-google": "the store has not set Google up",
    "POST /storefront/v1/customers/login-with-facebook": "the store has not set Facebook up",
    "POST /storefront/v1/customers/places": "an ISO 3166-1 country, a real phone number, "
    "latitude with longitude, at most 50 places",
    "PUT /storefront/v1/customers/places/{public_id}": "as POST places",
    "PATCH /storefront/v1/customers/places/{public_id}": "as POST places",
    "POST /storefront/v1/orders": "products of the store; a guest's real email or phone",
    "POST /storefront/v1/reviews": "a product of the store; one review per subject; files "
    "that are images or videos",
    f"GET {ACCOUNT}/customers/": "source and external_id come together",
    f"POST {ACCOUNT}/customers/": "an email or a phone, real and free in the store; a card of "
    "the store; the name, birthday and metadata rules",
    f"PUT {ACCOUNT}/customers/{{customer_id}}/": "as POST customers",
    f"PATCH {ACCOUNT}/customers/{{customer_id}}/": "as POST customers",
    f"POST {ACCOUNT}/customers/{{customer_id}}/addresses/": "as POST places",
    f"PUT {ACCOUNT}/customers/{{customer_id}}/addresses/{{address_id}}/": "as POST places",
    f"PATCH {ACCOUNT}/customers/{{customer_id}}/addresses/{{address_id}}/": "as POST places",
    f"POST {ACCOUNT}/customers/{{customer_id}}/customer_cards/": "an open card of the store "
    "the customer does not hold yet; a card code free in the store",
    f"POST {ACCOUNT}/customers/{{customer_id}}/customer_cards/{{id}}/stamp/": "the card's "
    "daily limit; an expired or canceled card; store_id a member store of the network",
    f"POST {ACCOUNT}/customers/{{customer_id}}/customer_cards/{{id}}/redeem/": "a reward of "
    "the card, and enough stamps for it; store_id as stamp",
    f"POST {ACCOUNT}/cards/": "welcome stamps fewer than stamps_required",
    f"PUT {ACCOUNT}/cards/{{id}}/": "welcome stamps fewer than stamps_required; rewards that "
    "still fit the card",
    f"PATCH {ACCOUNT}/cards/{{id}}/": "as PUT cards",
    f"POST {ACCOUNT}/rewards/": "a card of the store; a cost of at most its stamps_required",
    f"PUT {ACCOUNT}/rewards/{{id}}/": "as POST rewards",
    f"PATCH {ACCOUNT}/rewards/{{id}}/": "as POST rewards",
    f"POST {ACCOUNT}/customer_groups/": "a name not blank once trimmed and free in the store "
    "whatever its case; at most 100 groups",
    f"PATCH {ACCOUNT}/customer_groups/{{group_id}}/": "as POST customer_groups",
    f"POST {ACCOUNT}/customers/{{customer_id}}/notes/": "a body not blank once trimmed; at "
    "most 500 notes a customer",
    f"PATCH {ACCOUNT}/customers/{{customer_id}}/notes/{{note_id}}/": "as POST notes",
}
# A file's content decides (a 415 for a file that is not an image or a video).
MEDIA_CHECKED = {"POST /storefront/v1/reviews"}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' default
# Deterministic generation draws the same cases each run; the stateful phase also follows
# this seed.
SEED = 20250611


def _operation(path: str, *, method: str | list[str] | None = None, **config) -> dict:
    """Configuration for the operations at `path` (with one of `method`, if given)."""
    if path.startswith(ACCOUNT):
        path += "/"  # management paths are documented with their trailing slash
    if method is None:
        return {"include-path": path, **config}
    methods = [method] if isinstance(method, str) else method
    return {"include-name": [f"{m} {path}" for m in methods], **config}


def schemathesis_config(
    fuzz: FuzzStore,
    *,
    max_examples: int,
    stateful: bool = False,
    coverage: bool = True,
) -> dict:
    """The schemathesis configuration (as schemathesis.toml holds it) for `fuzz`: every check,
    deterministic generation (the same cases each run), the keys per security scheme, and the
    ids each operation is pointed at.

    Each DELETE has a target of its own. With `stateful` (a run with schemathesis' stateful
    phase, whose links pass the id a POST answered on to the next call, and which deletes what
    it finds) only ids that no operation can delete are fixed; the others come from the links
    and from earlier answers. Without `coverage`, schemathesis' coverage phase (every boundary
    and type the schema names, thousands of cases) is left out: the suite's quick run.
    """
    ids = fuzz.ids
    customer = f"{ACCOUNT}/customers/{{customer_id}}"
    customer_card = f"{customer}/customer_cards/{{id}}"
    grace = {"customer_id": ids["grace"]}
    enrolment = {**grace, "id": ids["enrolment"]}
    reads_and_writes = ["GET", "PUT", "PATCH"]
    # Ids no call can delete: Ada (only a code closes her account), a product, Bob's review
    # (only Bob deletes it), the card programme.
    operations = [
        _operation(f"{STOREFRONT}/customers/{{public_id}}", parameters={"public_id": ids["ada"]}),
        _operation(
            f"{STOREFRONT}/customers/{{public_id}}/verify-contact",
            parameters={"public_id": ids["ada"]},
        ),
        _operation(
            f"{STOREFRONT}/products/{{public_id}}", parameters={"public_id": ids["product"]}
        ),
        _operation(
            f"{STOREFRONT}/reviews/{{public_id}}/vote", parameters={"public_id": ids["bob_review"]}
        ),
        _operation(f"{ACCOUNT}/cards/{{id}}", parameters={"id": ids["card"]}),
        # Sessions of their own: these end the session they are sent with.
        _operation(
            f"{STOREFRONT}/customers/logout", headers={"Customer-Token": fuzz.tokens["logout"]}
        ),
        _operation(
            f"{STOREFRONT}/customers/confirm-account-closure",
            headers={"Customer-Token": fuzz.tokens["closure"]},
        ),
    ]
    if not stateful:
        operations += [
            # Ada's place and review; Grace (management API), her address and card; a reward.
            _operation(
                f"{STOREFRONT}/customers/places/{{public_id}}",
                method=reads_and_writes,
                parameters={"public_id": ids["ada_place"]},
            ),
            _operation(
                f"{STOREFRONT}/reviews/{{public_id}}",
                method="GET",
                parameters={"public_id": ids["ada_review"]},
            ),
            _operation(customer, method=reads_and_writes, parameters=grace),
            _operation(
                f"{customer}/addresses/{{address_id}}",
                method=reads_and_writes,
                parameters={**grace, "address_id": ids["grace_address"]},
            ),
            _operation(f"{customer}/addresses", parameters=grace),
            _operation(f"{customer}/orders", parameters=grace),
            _operation(f"{customer}/customer_cards", parameters=grace),
            _operation(customer_card, parameters=enrolment),
            _operation(f"{customer_card}/stamp", parameters=enrolment),
            _operation(f"{customer_card}/redeem", parameters=enrolment),
            _operation(f"{customer_card}/history", parameters=enrolment),
            _operation(
                f"{ACCOUNT}/rewards/{{id}}",
                method=reads_and_writes,
                parameters={"id": ids["reward"]},
            ),
            # What each DELETE deletes.
            _operation(
                f"{STOREFRONT}/customers/places/{{public_id}}",
                method="DELETE",
                parameters={"public_id": ids["ada_place_doomed"]},
            ),
            _operation(
                f"{STOREFRONT}/reviews/{{public_id}}",
                method="DELETE",
                parameters={"public_id": ids["ada_review_doomed"]},
            ),
            _operation(customer, method="DELETE", parameters={"customer_id": ids["doomed"]}),
            _operation(
                f"{customer}/addresses/{{address_id}}",
                method="DELETE",
                parameters={**grace, "address_id": ids["grace_address_doomed"]},
            ),
            _operation(
                f"{ACCOUNT}/rewards/{{id}}",
                method="DELETE",
                parameters={"id": ids["reward_doomed"]},
            ),
        ]
    for label in RULES_BEYOND_THE_SCHEMA:
        refused = ["422", "415"] if label in MEDIA_CHECKED else ["422"]
        expected = {"expected-statuses": [*ACCEPTED, *refused]}
        operations.append({"include-name": label, "checks": {"positive_data_acceptance": expected}})
    return {
        "hooks": "demo.fuzz_hooks",
        "seed": SEED,
        # No replay of an earlier run's failures (nor a .schemathesis/ folder): each run is
        # the same run.
        "cache": {"enabled": False},
        # No NUL character and only UTF-8 text: both APIs refuse any text holding one (422,
        # README "Limits"), a rule no OpenAPI schema can state for every string.
        "generation": {
            "max-examples": max_examples,
            "deterministic": True,
            "allow-x00": False,
            "codec": "utf-8",
        },
        "checks": {"enabled": True},
        "auth": {
            "openapi": {
                "storeKey": {"bearer": fuzz.publishable_key},
                "secretKey": {"bearer": fuzz.secret_key},
                "customerToken": {"api_key": fuzz.token},
            }
        },
        # In the coverage phase schemathesis 4.32 reuses ids from earlier answers as strings,
        # which an integer path parameter never is: a wrong "accepted" for every such case.
        "phases": {"coverage": {"enabled": coverage, "extra-data-sources": {"responses": False}}},
        "parameters": {"path.account_id": fuzz.store_id},
        "operations": operations,
    }
