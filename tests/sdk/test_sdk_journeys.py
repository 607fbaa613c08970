"""The real Fleetbase SDK (`@fleetbase/storefront`, pinned in package.json) against the shopper
API on Django's live server: tests/sdk/journey.mjs makes the calls in Node, and this module
answers what it asks for (the codes in the locmem outboxes, a loyalty enrolment, stamps and a
redemption by the back office at two member stores) and checks every
step's answer and the database.

Without `node` or the package (`make install`) the tests skip, and fail under CI (`CI=true`)."""

import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from rest_framework.test import APIClient

from customers import notifications
from customers.models import Customer
from loyalty.models import CustomerCard
from loyalty.services import card_enrol
from orders.models import Order
from reviews.models import Review
from stores.services import network_create, store_create
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("journey.mjs")
PACKAGE = ROOT / "node_modules" / "@fleetbase" / "storefront" / "package.json"
PINNED = "1.1.14"
STEP_SECONDS = 10  # each SDK call, and each wait for an answer (journey.mjs, SDK_STEP_MS)
JOURNEY_SECONDS = 40  # a whole journey, however its steps went
CODE_SECONDS = 5  # how long a code may take to reach the outbox (a job after the commit)

EMAIL, PHONE, PASSWORD = "grace@example.com", "+14155550177", "cobol is fine 1959"
PLACE = {
    "name": "Home",
    "street1": "1 Market St",
    "city": "San Francisco",
    "country": "US",
    "location": {"type": "Point", "coordinates": [-122.42, 37.77]},
}


@pytest.fixture(scope="module")
def node():
    """The `node` that runs journey.mjs, with the pinned SDK installed beside it."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed: apt-get install nodejs npm"
    elif not PACKAGE.exists():
        problem = "@fleetbase/storefront is not installed: make install (npm install)"
    elif (version := json.loads(PACKAGE.read_text())["version"]) != PINNED:
        problem = f"@fleetbase/storefront {version} is installed, not {PINNED}: npm install"
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(problem + " (CI is set: the SDK tests must run)", pytrace=False)
        pytest.skip(problem)
    return node


# --- the line protocol (see journey.mjs) ----------------------------------------------------


class Outboxes:
    """The codes the live server sent (same process: Django's mail.outbox and the locmem SMS
    outbox), each handed out once, newest first."""

    def __init__(self):
        self.handed = set()

    def code_for(self, identity: str) -> dict:
        deadline = time.monotonic() + CODE_SECONDS
        while True:
            sent = [(m, identity.lower() in [to.lower() for to in m.to]) for m in mail.outbox]
            sent += [(s, s.to == identity) for s in notifications.outbox]
            for message, to_identity in reversed(sent):
                match = re.search(r"\b(\d{6})\b", message.body)
                if to_identity and match and id(message) not in self.handed:
                    self.handed.add(id(message))
                    return {"code": match.group(1)}
            if time.monotonic() > deadline:
                return {"error": f"no new code was sent to {identity}"}
            time.sleep(0.05)


def run_journey(node, live_server, key: str, journey: str, data: dict, answer) -> dict:
    """Run `journey` of journey.mjs with `key` against the live server; `answer(need)` gives
    the reply to each thing the script asks for. Returns {step name: its message}. A journey
    that stops answering is killed and fails the test, with what it said so far."""
    env = {
        **os.environ,
        "SDK_HOST": live_server.url,
        "SDK_KEY": key,
        "SDK_JOURNEY": journey,
        "SDK_INPUT": json.dumps(data),
        "SDK_STEP_MS": str(STEP_SECONDS * 1000),
    }
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            bufsize=1,
        )
        lines: queue.Queue = queue.Queue()

        def read():
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        steps, transcript = {}, []
        deadline = time.monotonic() + JOURNEY_SECONDS

        def fail(why):
            process.kill()
            process.wait(5)
            stderr.seek(0)
            pytest.fail(
                f"{why}\n--- said so far:\n{''.join(transcript)}\n--- stderr:\n{stderr.read()}",
                pytrace=False,
            )

        try:
            while True:
                wait = min(deadline - time.monotonic(), STEP_SECONDS + 5)
                try:
                    line = lines.get(timeout=max(wait, 0))
                except queue.Empty:
                    fail(f"the {journey} journey hung (no line for {wait:.0f} s)")
                if line is None:
                    fail(f"the {journey} journey ended without saying it was done")
                transcript.append(line)
                if not line.startswith("@sdk "):
                    continue
                message = json.loads(line[len("@sdk ") :])
                if "need" in message:
                    process.stdin.write(json.dumps(answer(message)) + "\n")
                    process.stdin.flush()
                elif "step" in message:
                    steps[message["step"]] = message
                elif message.get("done"):
                    break
            process.wait(STEP_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
    return steps


def ok(steps: dict, name: str):
    """The answer of step `name`, which must have succeeded."""
    step = steps.get(name)
    assert step is not None, f"step {name!r} never ran"
    assert step["ok"], f"step {name!r} failed: {step['error']}"
    return step["result"]


# --- journeys 1 and 2: a shopper's whole account, with a store key and with a network key ---


def shopper_journey(node, live_server, *, key, account, shop, card):
    """Register by emailed code (confirming the phone with its SMS code), log in with the
    password and by SMS, change the profile, save a place, order at `shop`, read the order
    history and the loyalty cards (enrolled by the store meanwhile), and review a product:
    every step through the SDK, with `key` (the publishable key of `account`, a store or a
    network whose member `shop` is)."""
    flat_white = factories.ProductFactory(store=shop, name="Flat white", price=Decimal("4.50"))
    factories.ProductFactory(store=shop, name="Espresso", price=Decimal("3.00"))
    outboxes = Outboxes()

    def answer(need):
        if need["need"] == "code":
            return outboxes.code_for(need["identity"])
        if need["need"] == "enrolment":
            customer = Customer.objects.get(store=account, public_id=need["customer"])
            card_enrol(customer=customer, card=card)
            return {"ok": True}
        return {"error": f"unknown need {need['need']}"}

    order = {"items": [{"product": flat_white.public_id, "quantity": 2}]}
    if account.is_network:
        order["store"] = shop.public_id
    steps = run_journey(
        node,
        live_server,
        key,
        "shopper",
        {
            "email": EMAIL,
            "phone": PHONE,
            "password": PASSWORD,
            "name": "Grace Hopper",
            "place": PLACE,
            "order": order,
            "review_subject": flat_white.public_id,
        },
        answer,
    )

    about = ok(steps, "about")
    assert (about["id"], about["name"]) == (account.public_id, account.name)
    assert sorted(p["name"] for p in ok(steps, "products")) == ["Espresso", "Flat white"]

    assert ok(steps, "request_creation_code") == {"status": "OK"}
    registered = ok(steps, "register")
    customer_id = registered["id"]
    assert customer_id.startswith("customer_") and len(registered["token"]) >= 40
    assert (registered["email"], registered["phone"]) == (EMAIL, "")
    assert registered["pending_phone"] == PHONE and registered["has_password"] is True
    verified = ok(steps, "verify_phone")
    assert (verified["phone"], verified["pending_phone"]) == (PHONE, "")

    logged_in = ok(steps, "password_login")
    assert logged_in["id"] == customer_id and logged_in["token"] != registered["token"]
    assert ok(steps, "sms_login_request") == {"status": "OK", "method": "sms"}
    by_sms = ok(steps, "sms_login")
    assert by_sms["id"] == customer_id and by_sms["token"] not in (
        registered["token"],
        logged_in["token"],
    )

    profile = ok(steps, "profile_update")
    assert (profile["first_name"], profile["last_name"]) == ("Grace", "Murray Hopper")
    assert profile["meta"] == {"team": "navy"}
    assert ok(steps, "retrieve")["name"] == "Grace Murray Hopper"

    place = ok(steps, "place_save")
    assert place["id"].startswith("place_") and place["is_default"] is True
    assert [p["id"] for p in ok(steps, "places")] == [place["id"]]
    assert ok(steps, "places")[0]["street1"] == "1 Market St"

    ordered = ok(steps, "order")
    assert ordered["customer"] == customer_id and ordered["store"] == {
        "id": shop.public_id,
        "name": shop.name,
    }
    assert [(i["product"], i["quantity"]) for i in ordered["items"]] == [(flat_white.public_id, 2)]
    assert Decimal(str(ordered["total"])) == Decimal("9.00")
    assert ordered["shipping_address"]["street1"] == "1 Market St"
    history = ok(steps, "order_history")
    assert [(o["id"], o["store"]["name"]) for o in history] == [(ordered["id"], shop.name)]

    [enrolment] = ok(steps, "cards")
    assert (enrolment["card_name"], enrolment["stamps_count"]) == (card.name, 2)

    review = ok(steps, "review")
    assert (review["subject"], review["rating"]) == (flat_white.public_id, 5)
    assert review["customer"]["id"] == customer_id and "email" not in review["customer"]
    assert [r["id"] for r in ok(steps, "reviews")] == [review["id"]]
    assert ok(steps, "review_count")["count"] == 1

    # What the journey left in the database: one account of `account`, with all of it.
    customer = Customer.objects.get(store=account, public_id=customer_id)
    assert customer.email_verified_at and customer.phone_verified_at
    assert (customer.first_name, customer.last_name) == ("Grace", "Murray Hopper")
    assert customer.addresses.count() == 1
    assert list(Order.objects.filter(customer=customer).values_list("public_id", "store")) == [
        (ordered["id"], shop.pk)
    ]
    assert CustomerCard.objects.filter(customer=customer, card=card).count() == 1
    assert list(Review.objects.filter(author=customer).values_list("public_id", flat=True)) == [
        review["id"]
    ]
    return steps


def test_a_shoppers_journey_with_a_store_key(node, live_server):
    new = store_create(name="Ada's Coffee", phone_region="US")
    card = factories.LoyaltyCardFactory(store=new.store, name="Coffee card", initial_stamps=2)
    steps = shopper_journey(
        node, live_server, key=new.publishable_key, account=new.store, shop=new.store, card=card
    )
    assert ok(steps, "about")["is_network"] is False


def test_the_same_journey_with_a_network_key(node, live_server):
    north = store_create(name="North Roasters", phone_region="US").store
    south = store_create(name="South Roasters", phone_region="US").store
    new = network_create(name="Coffee Chain", store_ids=[north.pk, south.pk], phone_region="US")
    card = factories.LoyaltyCardFactory(store=new.network, name="Chain card", initial_stamps=2)
    steps = shopper_journey(
        node, live_server, key=new.publishable_key, account=new.network, shop=north, card=card
    )
    about = ok(steps, "about")
    assert about["is_network"] is True
    assert sorted((s["id"], s["name"]) for s in about["stores"]) == sorted(
        (s.public_id, s.name) for s in (north, south)
    )
    assert not Customer.objects.filter(store__in=[north, south]).exists()


# --- journey 3: one network customer orders at two member stores ----------------------------


def test_a_network_customer_orders_at_two_member_stores(node, live_server):
    north = store_create(name="North Roasters", phone_region="US").store
    south = store_create(name="South Roasters", phone_region="US").store
    new = network_create(name="Coffee Chain", store_ids=[north.pk, south.pk], phone_region="US")
    latte = factories.ProductFactory(store=north, name="Latte", price=Decimal("4.00"))
    mocha = factories.ProductFactory(store=south, name="Mocha", price=Decimal("5.50"))
    customer = factories.CustomerFactory(
        store=new.network, email=EMAIL, password=make_password(PASSWORD)
    )
    orders = [
        {"store": north.public_id, "items": [{"product": latte.public_id, "quantity": 1}]},
        {"store": south.public_id, "items": [{"product": mocha.public_id, "quantity": 2}]},
    ]
    for order in orders:
        order["shipping_address"] = PLACE
    card = factories.LoyaltyCardFactory(store=new.network, name="Chain card", stamps_required=10)
    reward = factories.RewardFactory(card=card, name="Free latte", stamps_required=3)
    back_office = APIClient()
    back_office.credentials(HTTP_AUTHORIZATION=f"Bearer {new.secret_key}")
    ledger = {}

    def stamp_and_redeem(need):
        """The network's back office: enrol, 4 stamps at North, the reward redeemed at South."""
        shopper = Customer.objects.get(store=new.network, public_id=need["customer"])
        enrolment = card_enrol(customer=shopper, card=card)
        base = (
            f"/api/v1/accounts/{new.network.pk}/customers/{shopper.pk}"
            f"/customer_cards/{enrolment.pk}"
        )
        stamped = back_office.post(
            f"{base}/stamp", {"stamps": 4, "store_id": north.pk}, format="json"
        )
        redeemed = back_office.post(
            f"{base}/redeem", {"reward_id": reward.pk, "store_id": south.pk}, format="json"
        )
        if (stamped.status_code, redeemed.status_code) != (200, 200):
            return {"error": f"{stamped.content!r} {redeemed.content!r}"}
        ledger.update(back_office.get(f"{base}/history").json())
        return {"ok": True}

    steps = run_journey(
        node,
        live_server,
        new.publishable_key,
        "network_orders",
        {
            "email": EMAIL,
            "password": PASSWORD,
            "stores": [north.public_id, south.public_id],
            "orders": orders,
        },
        lambda need: (
            stamp_and_redeem(need)
            if need["need"] == "stamp_and_redeem"
            else {"error": f"unexpected need {need['need']}"}
        ),
    )

    assert ok(steps, "about")["is_network"] is True
    assert sorted((s["id"], s["name"]) for s in ok(steps, "stores")) == sorted(
        (s.public_id, s.name) for s in (north, south)
    )
    assert [p["id"] for p in ok(steps, f"products {north.public_id}")] == [latte.public_id]
    assert [p["id"] for p in ok(steps, f"products {south.public_id}")] == [mocha.public_id]
    assert ok(steps, "password_login")["id"] == customer.public_id

    at_north = ok(steps, f"order {north.public_id}")
    at_south = ok(steps, f"order {south.public_id}")
    assert at_north["store"] == {"id": north.public_id, "name": north.name}
    assert at_south["store"] == {"id": south.public_id, "name": south.name}
    assert Decimal(str(at_north["total"])) == Decimal("4.00")
    assert Decimal(str(at_south["total"])) == Decimal("11.00")
    assert {at_north["customer"], at_south["customer"]} == {customer.public_id}

    history = ok(steps, "order_history")  # newest first
    assert [(o["id"], o["store"]) for o in history] == [
        (at_south["id"], {"id": south.public_id, "name": "South Roasters"}),
        (at_north["id"], {"id": north.public_id, "name": "North Roasters"}),
    ]
    assert sorted(
        Order.objects.filter(customer=customer).values_list("public_id", "store__name")
    ) == sorted([(at_north["id"], "North Roasters"), (at_south["id"], "South Roasters")])

    # The shopper sees the card as the two stores left it; the ledger shows both stores.
    [held] = ok(steps, "cards")
    assert (held["card_name"], held["stamps_count"]) == ("Chain card", 1)
    where = [
        (entry["kind"], entry["store"]["name"] if entry["store"] else None)
        for entry in ledger["entries"]
    ]
    assert where[:2] == [("redeem", "South Roasters"), ("stamp", "North Roasters")]
