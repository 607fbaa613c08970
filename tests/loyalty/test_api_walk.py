"""A store's back office driven through the management API only, as a Leal client would: a
card with welcome stamps and a reward, a new customer on that card, stamps, a redemption, and
a history whose balances add up."""

import pytest

from customers.services import customer_create

pytestmark = [pytest.mark.django_db, pytest.mark.api_key("secret")]


def ok(response, status=200) -> dict | list:
    assert response.status_code == status, response.content
    return response.json()


def new_customer_on_the_card(api, base, store, card_id) -> int:
    """POST customers with card_id: the customer is created and enrolled in one call."""
    body = ok(
        api.post(
            f"{base}/customers",
            {
                "customer": {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": "ada@example.com",
                },
                "card_id": card_id,
            },
        ),
        201,
    )
    return body["id"]


def customer_then_customer_cards(api, base, store, card_id) -> int:
    """The same in two steps: a customer created by the service, enrolled by POST customer_cards."""
    customer = customer_create(store=store, first_name="Ada", email="ada@example.com")
    ok(api.post(f"{base}/customers/{customer.pk}/customer_cards", {"card_id": card_id}), 201)
    return customer.pk


@pytest.mark.parametrize(
    "enrol",
    [new_customer_on_the_card, customer_then_customer_cards],
    ids=["post-customers", "post-customer-cards"],
)
def test_card_reward_customer_stamp_redeem_history(api, store, enrol):
    base = f"/api/v1/accounts/{store.pk}"

    card = ok(
        api.post(
            f"{base}/cards",
            {"card": {"name": "Coffee card", "stamps_required": 10, "initial_stamps": 2}},
        ),
        201,
    )
    reward = ok(
        api.post(
            f"{base}/rewards",
            {"reward": {"card_id": card["id"], "name": "Free coffee", "stamps_required": 5}},
        ),
        201,
    )
    assert [r["id"] for r in ok(api.get(f"{base}/cards/{card['id']}"))["rewards"]] == [reward["id"]]

    customer_id = enrol(api, base, store, card["id"])

    cards = ok(api.get(f"{base}/customers/{customer_id}/customer_cards"))
    assert [(c["card_id"], c["stamps_count"]) for c in cards] == [(card["id"], 2)]
    url = f"{base}/customers/{customer_id}/customer_cards/{cards[0]['id']}"

    stamped = ok(api.post(f"{url}/stamp", {"stamps": 3}))
    assert stamped["stamps_count"] == 5
    assert [r["id"] for r in stamped["available_rewards"]] == [reward["id"]]

    redeemed = ok(api.post(f"{url}/redeem", {"reward_id": reward["id"]}))
    assert redeemed["success"] is True
    redemption = redeemed["redemption"]
    assert (redemption["reward_id"], redemption["reward_name"]) == (reward["id"], "Free coffee")
    assert (redemption["stamps_spent"], redemption["stamps_remaining"]) == (5, 0)

    history = ok(api.get(f"{url}/history"))
    entries = history["entries"]
    assert [(e["kind"], e["delta"], e["balance_after"]) for e in entries] == [
        ("redeem", -5, 0),
        ("stamp", 3, 5),
        ("welcome", 2, 2),
    ]
    assert entries[0]["id"] == redemption["id"]
    balance = 0
    for entry in reversed(entries):  # oldest first, each balance is the one before plus delta
        balance += entry["delta"]
        assert entry["balance_after"] == balance
    assert history["pagination"] == {"count": 3, "items": 25, "page": 1, "pages": 1}
    assert ok(api.get(url))["stamps_count"] == balance == 0
