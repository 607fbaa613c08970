"""The loyalty section of the console: card programmes, enrolling, stamping and redeeming."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from loyalty.selectors import enrolable_cards, enrolment_list
from loyalty.services import card_enrol, card_save, stamp_add
from loyalty.templatetags.loyalty_tags import qr_svg
from stores.access import StoreAccess
from stores.models import StoreMembership
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --- Fixtures and helpers -------------------------------------------------------------------


def member(client, store, role):
    user = factories.MembershipFactory(store=store, role=role).user
    client.force_login(user)
    return user


@pytest.fixture
def staff(client, store):
    return member(client, store, StoreMembership.Role.STAFF)


@pytest.fixture
def manager(client, store):
    return member(client, store, StoreMembership.Role.MANAGER)


@pytest.fixture
def card(store):
    card = factories.LoyaltyCardFactory(
        store=store, name="Coffee card", stamps_required=10, initial_stamps=2
    )
    factories.RewardFactory(card=card, name="Free coffee", stamps_required=5)
    factories.RewardFactory(card=card, name="Free cake", stamps_required=10)
    return card


@pytest.fixture
def enrolment(customer, card):
    return card_enrol(customer=customer, card=card)


def customer_page(pk) -> str:
    try:
        return reverse("customers:detail", args=[pk]) + "#loyalty"
    except NoReverseMatch:  # the customers section is written alongside this one
        return f"/console/customers/{pk}/#loyalty"


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def card_data(**overrides) -> dict:
    """A valid POST of the card form with two reward rows."""
    data = {
        "name": "Tea card",
        "description": "A stamp for every tea.",
        "header_text": "Ada's Coffee",
        "stamps_required": "8",
        "initial_stamps": "1",
        "max_stamps_per_day": "",
        "expiry_days": "365",
        "card_color": "#1F6FEB",
        "text_color": "#FFFFFF",
        "rewards-TOTAL_FORMS": "2",
        "rewards-INITIAL_FORMS": "0",
        "rewards-MIN_NUM_FORMS": "0",
        "rewards-MAX_NUM_FORMS": "1000",
        "rewards-0-name": "Free tea",
        "rewards-0-stamps_required": "4",
        "rewards-0-active": "on",
        "rewards-0-position": "0",
        "rewards-1-name": "Teapot",
        "rewards-1-stamps_required": "8",
        "rewards-1-active": "on",
        "rewards-1-position": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Who may come in ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [("loyalty:card_list", []), ("loyalty:card_create", []), ("loyalty:card_edit", [1])],
)
def test_anonymous_users_go_to_the_login_page(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


def test_a_user_of_no_store_is_refused(client, db):
    client.force_login(factories.UserFactory())
    assert client.get(reverse("loyalty:card_list")).status_code == 403


def test_staff_see_the_cards_without_create_or_edit_buttons(client, staff, card):
    response = client.get(reverse("loyalty:card_list"))
    assert response.status_code == 200
    assert "Coffee card" in response.text and "Free coffee" in response.text
    assert reverse("loyalty:card_create") not in response.text
    assert reverse("loyalty:card_edit", args=[card.pk]) not in response.text


def test_staff_cannot_create_or_edit_cards(client, staff, card):
    assert client.get(reverse("loyalty:card_create")).status_code == 403
    assert client.post(reverse("loyalty:card_create"), card_data()).status_code == 403
    edit = reverse("loyalty:card_edit", args=[card.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, card_data()).status_code == 403
    assert LoyaltyCard.objects.count() == 1
    assert LoyaltyCard.objects.get().name == "Coffee card"


def test_managers_see_create_and_edit_buttons(client, manager, card):
    response = client.get(reverse("loyalty:card_list"))
    assert reverse("loyalty:card_create") in response.text
    assert reverse("loyalty:card_edit", args=[card.pk]) in response.text


def test_the_empty_list_invites_managers_to_create_a_card(client, manager):
    response = client.get(reverse("loyalty:card_list"))
    assert "No loyalty cards yet" in response.text
    assert "Create a card" in response.text


# --- The card list --------------------------------------------------------------------------


def test_the_list_shows_each_programme_and_archived_ones_apart(client, staff, card, customer):
    card_enrol(customer=customer, card=card)
    factories.LoyaltyCardFactory(store=card.store, name="Old card", archived=True)
    factories.LoyaltyCardFactory(name="Rival card")  # another store
    response = client.get(reverse("loyalty:card_list"))
    assert [c.name for c in response.context["cards"]] == ["Coffee card"]
    assert [c.name for c in response.context["archived_cards"]] == ["Old card"]
    assert response.context["cards"][0].enrolments_count == 1
    assert "Rival card" not in response.text
    assert "Archived" in response.text


def test_the_list_runs_the_same_queries_for_2_and_12_cards(
    client, staff, store, django_assert_max_num_queries
):
    def add_cards(n):
        for _ in range(n):
            card = factories.LoyaltyCardFactory(store=store)
            factories.RewardFactory(card=card)
            factories.RewardFactory(card=card, name="Cake", stamps_required=8)
            factories.CustomerCardFactory(card=card, customer__store=store)

    add_cards(2)
    client.get(reverse("loyalty:card_list"))  # warm the session and caches
    # session, user, membership; cards with their enrolment counts; their rewards
    with django_assert_max_num_queries(5) as two:
        client.get(reverse("loyalty:card_list"))
    add_cards(10)
    with django_assert_max_num_queries(5) as twelve:
        response = client.get(reverse("loyalty:card_list"))
    assert len(response.context["cards"]) == 12
    assert len(two.captured_queries) == len(twelve.captured_queries)


# --- Creating and editing cards -------------------------------------------------------------


def test_a_manager_creates_a_card_with_two_rewards(client, manager, store):
    response = client.post(reverse("loyalty:card_create"), card_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("loyalty:card_list")
    card = LoyaltyCard.objects.get(store=store)
    assert (card.name, card.stamps_required, card.initial_stamps, card.expiry_days) == (
        "Tea card",
        8,
        1,
        365,
    )
    assert card.card_color == "#1F6FEB" and card.max_stamps_per_day is None
    assert list(card.rewards.values_list("name", "stamps_required")) == [
        ("Free tea", 4),
        ("Teapot", 8),
    ]
    assert texts(response) == ["Card “Tea card” saved."]


def test_the_card_form_renders_colour_inputs_and_reward_rows(client, manager):
    response = client.get(reverse("loyalty:card_create"))
    assert response.status_code == 200
    assert 'type="color"' in response.text
    assert 'name="rewards-TOTAL_FORMS"' in response.text
    assert response.text.count('data-testid="reward-row"') == 2


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"stamps_required": "22"}, "stamps_required", "from 1 to 21 stamps"),
        ({"stamps_required": "0"}, "stamps_required", "from 1 to 21 stamps"),
        ({"initial_stamps": "8"}, "initial_stamps", "fewer than the stamps required"),
        ({"initial_stamps": "9"}, "initial_stamps", "fewer than the stamps required"),
        ({"expiry_days": "0"}, "expiry_days", "from 1 to 36,500 days"),
        ({"max_stamps_per_day": "0"}, "max_stamps_per_day", "from 1 to 1,000 stamps"),
        ({"card_color": "blue"}, "card_color", "#1F6FEB"),
    ],
)
def test_card_form_errors_save_nothing(client, manager, overrides, field, message):
    response = client.post(reverse("loyalty:card_create"), card_data(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not LoyaltyCard.objects.exists() and not Reward.objects.exists()


DAILY_LIMIT_MESSAGE = "Give a daily limit from 1 to 1,000 stamps, or none for no limit."


@pytest.mark.parametrize("value", ["0", "-1", "1001"])
def test_a_daily_limit_out_of_range_has_one_clear_message(client, manager, value):
    response = client.post(reverse("loyalty:card_create"), card_data(max_stamps_per_day=value))
    assert response.status_code == 200
    assert response.context["form"].errors["max_stamps_per_day"] == [DAILY_LIMIT_MESSAGE]
    assert response.text.count(DAILY_LIMIT_MESSAGE) == 1
    assert "greater than or equal" not in response.text
    assert "less than or equal" not in response.text
    assert not LoyaltyCard.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("stamps_required", "-1"),
        ("stamps_required", "0"),
        ("initial_stamps", "-1"),
        ("initial_stamps", "8"),
        ("expiry_days", "-1"),
        ("expiry_days", "0"),
        ("expiry_days", "36501"),
        ("max_stamps_per_day", "-1"),
        ("max_stamps_per_day", "1001"),
    ],
)
@pytest.mark.api_key("secret")
def test_the_console_and_the_management_api_refuse_a_card_in_the_same_words(
    client, manager, api, store, field, value
):
    page = client.post(reverse("loyalty:card_create"), card_data(**{field: value}))
    console_says = page.context["form"].errors[field]

    body = card_data(**{field: value})
    card = {name: body[name] for name in ("name", "stamps_required", "initial_stamps")}
    answer = api.post(f"/api/v1/accounts/{store.pk}/cards", {"card": {**card, field: int(value)}})

    assert answer.status_code == 422, answer.content
    assert len(console_says) == 1
    assert answer.json()["fields"][field] == console_says
    assert not LoyaltyCard.objects.exists()


def test_save_is_the_forms_first_submit_button(client, manager, card):
    """Enter in a field submits the form with its first submit button: Save, not "Add a
    reward" (the browser test below presses it)."""
    for url in (reverse("loyalty:card_create"), reverse("loyalty:card_edit", args=[card.pk])):
        html = client.get(url).text
        form = html[html.index('data-testid="card-form"') :]
        form = form[: form.index("</form>")]
        submits = re.findall(r'<button[^>]*type="submit".*?</button>', form, re.S)
        assert "Save card" in submits[0], submits[0]
        assert 'name="add_reward"' in " ".join(submits[1:])  # still there, further down


def test_a_reward_cannot_cost_more_than_the_card(client, manager):
    response = client.post(
        reverse("loyalty:card_create"), card_data(**{"rewards-1-stamps_required": "9"})
    )
    assert response.status_code == 200
    row = response.context["formset"].forms[1]
    assert "at most the card's 8 stamps" in " ".join(row.errors["stamps_required"])
    assert "at most the card&#x27;s 8 stamps" in response.text
    assert not LoyaltyCard.objects.exists() and not Reward.objects.exists()


def test_a_reward_costs_at_least_one_stamp(client, manager):
    response = client.post(
        reverse("loyalty:card_create"), card_data(**{"rewards-0-stamps_required": "0"})
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["stamps_required"]
    assert not LoyaltyCard.objects.exists()


def test_blank_reward_rows_are_ignored(client, manager, store):
    # What a browser sends for an untouched blank row: its defaults.
    blank = {"rewards-2-name": "", "rewards-2-active": "on", "rewards-2-position": "0"}
    data = card_data(**{"rewards-TOTAL_FORMS": "3", **blank})
    response = client.post(reverse("loyalty:card_create"), data)
    assert response.status_code == 302
    assert LoyaltyCard.objects.get().rewards.count() == 2


def test_a_manager_edits_a_card_and_its_rewards(client, manager, card):
    coffee, cake = card.rewards.order_by("stamps_required")
    data = card_data(
        **{
            "name": "Coffee card+",
            "stamps_required": "10",
            "initial_stamps": "2",
            "archived": "on",
            "rewards-TOTAL_FORMS": "3",
            "rewards-INITIAL_FORMS": "2",
            "rewards-0-id": str(coffee.pk),
            "rewards-0-card": str(card.pk),
            "rewards-0-name": "Free flat white",
            "rewards-0-stamps_required": "6",
            "rewards-1-id": str(cake.pk),
            "rewards-1-card": str(card.pk),
            "rewards-1-name": "Free cake",
            "rewards-1-stamps_required": "10",
            "rewards-1-DELETE": "on",
            "rewards-2-name": "Mug",
            "rewards-2-stamps_required": "10",
            "rewards-2-active": "on",
            "rewards-2-position": "3",
        }
    )
    response = client.post(reverse("loyalty:card_edit", args=[card.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    card.refresh_from_db()
    assert card.name == "Coffee card+" and card.archived
    assert list(card.rewards.values_list("name", "stamps_required")) == [
        ("Free flat white", 6),
        ("Mug", 10),
    ]
    assert texts(response) == ["Card “Coffee card+” saved."]


def test_lowering_a_cards_stamps_below_a_reward_is_a_form_error(client, manager, card):
    coffee, cake = card.rewards.order_by("stamps_required")
    data = card_data(
        **{
            "name": "Coffee card",
            "stamps_required": "6",
            "initial_stamps": "0",
            "rewards-TOTAL_FORMS": "2",
            "rewards-INITIAL_FORMS": "2",
            "rewards-0-id": str(coffee.pk),
            "rewards-0-name": "Free coffee",
            "rewards-0-stamps_required": "5",
            "rewards-1-id": str(cake.pk),
            "rewards-1-name": "Free cake",
            "rewards-1-stamps_required": "10",
        }
    )
    response = client.post(reverse("loyalty:card_edit", args=[card.pk]), data)
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.stamps_required == 10


def test_another_stores_card_is_not_found(client, manager, other_store):
    rival = factories.LoyaltyCardFactory(store=other_store)
    edit = reverse("loyalty:card_edit", args=[rival.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, card_data()).status_code == 404
    rival.refresh_from_db()
    assert rival.name != "Tea card"


def test_adding_a_reward_row_without_javascript_keeps_what_was_typed(client, manager):
    data = card_data(add_reward="1")
    response = client.post(reverse("loyalty:card_create"), data)
    assert response.status_code == 200
    assert response.text.count('data-testid="reward-row"') == 3
    assert 'value="Teapot"' in response.text
    assert not LoyaltyCard.objects.exists()


def test_the_reward_row_endpoint_returns_a_numbered_row(client, manager):
    response = client.get(reverse("loyalty:reward_row"), {"index": 4}, headers=HTMX)
    assert response.status_code == 200
    assert 'name="rewards-4-name"' in response.text
    assert 'id="id_rewards-TOTAL_FORMS" hx-swap-oob="true"' in response.text
    assert "index=5" in response.text


def test_card_save_refuses_a_reward_dearer_than_the_card(store):
    card = LoyaltyCard(store=store, name="Card", stamps_required=5)
    with pytest.raises(ValidationError, match="at most the card"):
        card_save(card=card, rewards=[Reward(name="Big", stamps_required=6)])
    assert not LoyaltyCard.objects.exists()


def test_card_save_checks_the_rewards_it_leaves_alone(card):
    card.stamps_required, card.initial_stamps = 6, 0
    with pytest.raises(ValidationError, match="Free cake: costs more than the card's 6 stamps"):
        card_save(card=card)
    card.refresh_from_db()
    assert card.stamps_required == 10
    card.stamps_required, card.initial_stamps = 6, 0
    card_save(card=card, deleted_rewards=[card.rewards.get(name="Free cake")])
    card.refresh_from_db()
    assert card.stamps_required == 6
    assert list(card.rewards.values_list("name", flat=True)) == ["Free coffee"]


# --- Enrolling ------------------------------------------------------------------------------


def test_enrol_applies_the_welcome_stamps_and_writes_the_ledger(client, staff, customer, card):
    response = client.post(reverse("loyalty:enrol", args=[customer.pk]), {"card": card.pk})
    assert response.status_code == 302
    assert response["Location"] == customer_page(customer.pk)
    enrolment = CustomerCard.objects.get(customer=customer, card=card)
    assert enrolment.stamps_count == 2
    assert list(enrolment.entries.values_list("kind", "delta", "balance_after", "actor_user")) == [
        ("welcome", 2, 2, staff.pk)
    ]
    assert texts(response) == ["Enrolled in Coffee card with 2 welcome stamps."]


def test_enrolling_twice_is_an_error_message_not_a_500(client, staff, customer, enrolment, card):
    response = client.post(reverse("loyalty:enrol", args=[customer.pk]), {"card": card.pk})
    assert response.status_code == 302
    assert response["Location"] == customer_page(customer.pk)
    assert texts(response) == ["The customer is already enrolled in this card."]
    assert CustomerCard.objects.count() == 1


def test_enrolling_in_an_archived_card_is_refused(client, staff, customer, store):
    archived = factories.LoyaltyCardFactory(store=store, archived=True)
    response = client.post(reverse("loyalty:enrol", args=[customer.pk]), {"card": archived.pk})
    assert "archived" in texts(response)[0]
    assert not CustomerCard.objects.exists()


@pytest.mark.parametrize("value", ["", "abc"])
def test_enrolling_without_a_card_is_an_error_message(client, staff, customer, value):
    response = client.post(reverse("loyalty:enrol", args=[customer.pk]), {"card": value})
    assert response.status_code == 302
    assert texts(response) == ["Choose a card to enrol in."]


def test_enrolling_across_stores_is_not_found(client, staff, customer, card, other_store):
    rival_customer = factories.CustomerFactory(store=other_store)
    rival_card = factories.LoyaltyCardFactory(store=other_store)
    url = reverse("loyalty:enrol", args=[rival_customer.pk])
    assert client.post(url, {"card": card.pk}).status_code == 404
    url = reverse("loyalty:enrol", args=[customer.pk])
    assert client.post(url, {"card": rival_card.pk}).status_code == 404
    assert not CustomerCard.objects.exists()


def test_enrol_needs_a_post(client, staff, customer, card):
    response = client.get(reverse("loyalty:enrol", args=[customer.pk]), {"card": card.pk})
    assert response.status_code == 405


def test_the_enrol_form_partial(customer, card, store):
    html = render_to_string(
        "loyalty/_enrol_form.html",
        {"customer": customer, "enrolable_cards": enrolable_cards(store=store, customer=customer)},
    )
    assert reverse("loyalty:enrol", args=[customer.pk]) in html
    assert f'<option value="{card.pk}">Coffee card</option>' in html
    empty = render_to_string(
        "loyalty/_enrol_form.html", {"customer": customer, "enrolable_cards": []}
    )
    assert empty.strip() == ""


@pytest.mark.usefixtures("frozen_clock")
def test_enrolable_cards_leave_out_archived_ended_and_held_cards(customer, card, store):
    factories.LoyaltyCardFactory(store=store, name="Archived", archived=True)
    factories.LoyaltyCardFactory(
        store=store, name="Ended", expires_at=timezone.now() - timedelta(days=1)
    )
    factories.LoyaltyCardFactory(name="Elsewhere")
    fresh = factories.LoyaltyCardFactory(store=store, name="Fresh")
    assert set(enrolable_cards(store=store)) == {card, fresh}
    card_enrol(customer=customer, card=card)
    assert list(enrolable_cards(store=store, customer=customer)) == [fresh]


# --- Stamping -------------------------------------------------------------------------------


def test_stamping_with_htmx_returns_the_panel_with_the_new_count(client, staff, enrolment):
    url = reverse("loyalty:stamp", args=[enrolment.pk])
    response = client.post(url, {"count": "3", "note": "3 lattes"}, headers=HTMX)
    assert response.status_code == 200
    assert f'id="enrolment-{enrolment.pk}"' in response.text
    assert re.search(r'data-testid="stamps-count">5<', response.text)
    assert "+3 stamps: 5 of 10" in response.text
    entry = StampEntry.objects.get(enrolment=enrolment, kind="stamp")
    assert (entry.delta, entry.balance_after, entry.note, entry.actor_user) == (
        3,
        5,
        "3 lattes",
        staff,
    )
    assert "<html" not in response.text  # a fragment, not a page


def test_stamping_without_htmx_redirects_with_a_message(client, staff, enrolment):
    response = client.post(reverse("loyalty:stamp", args=[enrolment.pk]), {"count": "1"})
    assert response.status_code == 302
    assert response["Location"] == customer_page(enrolment.customer_id)
    assert texts(response) == ["+1 stamp: 3 of 10."]
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 3


def test_a_blank_count_adds_one_stamp(client, staff, enrolment):
    client.post(reverse("loyalty:stamp", args=[enrolment.pk]), {"count": ""}, headers=HTMX)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 3


@pytest.mark.parametrize("count", ["0", "101", "-2", "three", "1.5"])
def test_an_invalid_count_is_a_friendly_refusal(client, staff, enrolment, count):
    url = reverse("loyalty:stamp", args=[enrolment.pk])
    response = client.post(url, {"count": count}, headers=HTMX)
    assert response.status_code == 200
    assert "Add from 1 to 100 stamps at a time." in response.text
    response = client.post(url, {"count": count})
    assert response.status_code == 302
    assert texts(response) == ["Add from 1 to 100 stamps at a time."]
    assert not StampEntry.objects.filter(kind="stamp").exists()


@pytest.mark.usefixtures("frozen_clock")
def test_the_daily_limit_refusal_is_shown_and_adds_nothing(client, staff, customer, store):
    card = factories.LoyaltyCardFactory(store=store, stamps_required=10, max_stamps_per_day=2)
    enrolment = card_enrol(customer=customer, card=card)
    stamp_add(enrolment=enrolment, count=2)
    url = reverse("loyalty:stamp", args=[enrolment.pk])
    response = client.post(url, {"count": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert "at most 2 stamps a day; 0 left today" in response.text
    assert "alert-danger" in response.text
    assert re.search(r'data-testid="stamps-count">2<', response.text)
    response = client.post(url, {"count": "1"})
    assert "at most 2 stamps a day" in texts(response)[0]
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2
    assert enrolment.entries.filter(kind="stamp").count() == 1


@pytest.mark.usefixtures("frozen_clock")
def test_an_expired_card_takes_no_stamps_and_shows_no_buttons(client, staff, enrolment):
    CustomerCard.objects.filter(pk=enrolment.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    response = client.post(reverse("loyalty:stamp", args=[enrolment.pk]), headers=HTMX)
    assert "This card expired" in response.text
    assert 'data-testid="stamp-form"' not in response.text
    assert "Expired" in response.text


def test_stamping_another_stores_enrolment_is_not_found(client, staff, other_store):
    rival = factories.CustomerCardFactory(customer__store=other_store)
    response = client.post(reverse("loyalty:stamp", args=[rival.pk]), {"count": "1"})
    assert response.status_code == 404
    response = client.post(reverse("loyalty:stamp", args=[rival.pk]), headers=HTMX)
    assert response.status_code == 404
    assert not StampEntry.objects.exists()


def test_stamping_needs_a_membership(client, enrolment):
    client.force_login(factories.UserFactory())
    assert client.post(reverse("loyalty:stamp", args=[enrolment.pk])).status_code == 403
    client.logout()
    response = client.post(reverse("loyalty:stamp", args=[enrolment.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    assert not StampEntry.objects.filter(kind="stamp").exists()


def test_a_post_without_a_csrf_token_is_refused(store, enrolment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.MembershipFactory(store=store).user)
    response = client.post(reverse("loyalty:stamp", args=[enrolment.pk]), {"count": "1"})
    assert response.status_code == 403
    assert not StampEntry.objects.filter(kind="stamp").exists()


def test_a_post_with_the_csrf_token_of_the_panel_is_accepted(store, enrolment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.MembershipFactory(store=store).user)
    history = client.get(reverse("loyalty:history", args=[enrolment.pk]))  # sets the cookie
    token = re.search(r'"X-CSRFToken": "([^"]+)"', history.text).group(1)
    response = client.post(
        reverse("loyalty:stamp", args=[enrolment.pk]),
        {"count": "1"},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert StampEntry.objects.filter(kind="stamp").count() == 1


# --- Redeeming ------------------------------------------------------------------------------


def test_redeeming_with_too_few_stamps_shows_the_refusal(client, staff, enrolment, card):
    coffee = card.rewards.get(name="Free coffee")
    url = reverse("loyalty:redeem", args=[enrolment.pk])
    response = client.post(url, {"reward": coffee.pk}, headers=HTMX)
    assert response.status_code == 200
    assert "Free coffee needs 5 stamps; the card has 2." in response.text
    response = client.post(url, {"reward": coffee.pk})
    assert texts(response) == ["Free coffee needs 5 stamps; the card has 2."]
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2
    assert not enrolment.entries.filter(kind="redeem").exists()


def test_redeeming_spends_the_rewards_stamps(client, staff, enrolment, card):
    stamp_add(enrolment=enrolment, count=4)
    coffee = card.rewards.get(name="Free coffee")
    response = client.post(
        reverse("loyalty:redeem", args=[enrolment.pk]), {"reward": coffee.pk}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Redeemed Free coffee: 1 stamp left" in response.text
    assert re.search(r'data-testid="stamps-count">1<', response.text)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 1
    entry = enrolment.entries.get(kind="redeem")
    assert (entry.delta, entry.balance_after, entry.reward, entry.actor_user) == (
        -5,
        1,
        coffee,
        staff,
    )


def test_redeeming_without_htmx_redirects_with_a_message(client, staff, enrolment, card):
    stamp_add(enrolment=enrolment, count=8)
    cake = card.rewards.get(name="Free cake")
    response = client.post(reverse("loyalty:redeem", args=[enrolment.pk]), {"reward": cake.pk})
    assert response.status_code == 302
    assert response["Location"] == customer_page(enrolment.customer_id)
    assert texts(response) == ["Redeemed Free cake: 0 stamps left."]


@pytest.mark.parametrize("value", ["", "x"])
def test_redeeming_without_a_reward_is_a_friendly_refusal(client, staff, enrolment, value):
    response = client.post(
        reverse("loyalty:redeem", args=[enrolment.pk]), {"reward": value}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Choose a reward to redeem." in response.text


def test_redeeming_across_stores_is_not_found(client, staff, enrolment, other_store):
    rival = factories.CustomerCardFactory(customer__store=other_store)
    rival_reward = factories.RewardFactory(card=rival.card, stamps_required=1)
    url = reverse("loyalty:redeem", args=[rival.pk])
    assert client.post(url, {"reward": rival_reward.pk}).status_code == 404
    url = reverse("loyalty:redeem", args=[enrolment.pk])
    assert client.post(url, {"reward": rival_reward.pk}).status_code == 404
    assert not StampEntry.objects.filter(kind="redeem").exists()


def test_a_reward_of_another_card_is_refused(client, staff, enrolment, store):
    other = factories.RewardFactory(
        card=factories.LoyaltyCardFactory(store=store), stamps_required=1
    )
    response = client.post(
        reverse("loyalty:redeem", args=[enrolment.pk]), {"reward": other.pk}, headers=HTMX
    )
    assert "This reward belongs to another card." in response.text


# --- The enrolment partial, history, QR -----------------------------------------------------


def render_panel(enrolment, access, result=None):
    context = {"enrolment": enrolment, "access": access, "result": result}
    return render_to_string("loyalty/_enrolment.html", context)


def access_of(store, role):
    return StoreAccess(store=store, role=role, stores=[store])


def test_the_panel_renders_without_queries(
    customer, card, store, enrolment, django_assert_num_queries
):
    stamp_add(enrolment=enrolment, count=4)
    (loaded,) = enrolment_list(customer=customer)
    with django_assert_num_queries(0):
        html = render_panel(loaded, access_of(store, "staff"))
    assert 'data-testid="enrolment"' in html
    assert 'aria-valuenow="6"' in html and 'aria-valuemax="10"' in html
    assert 'data-percent="60"' in html  # the bar's width, set by console.js
    assert "<svg" in html and enrolment.code in html
    assert f'hx-post="{reverse("loyalty:stamp", args=[enrolment.pk])}"' in html
    assert f'action="{reverse("loyalty:redeem", args=[enrolment.pk])}"' in html
    assert f'hx-target="#enrolment-{enrolment.pk}"' in html
    coffee, cake = card.rewards.order_by("stamps_required")
    assert f'<option value="{coffee.pk}">' in html  # what 6 stamps buy, and only that
    assert f'<option value="{cake.pk}">' not in html
    assert "Next: Free cake in 4 stamps." in html
    assert reverse("loyalty:history", args=[enrolment.pk]) in html


def test_the_panel_shows_no_buttons_to_a_role_that_cannot_stamp(store, customer, enrolment):
    class ReadOnly:
        perms = {"stamp_cards": False}

    (loaded,) = enrolment_list(customer=customer)
    html = render_panel(loaded, ReadOnly())
    assert "hx-post" not in html
    assert 'data-testid="stamps-count">2<' in html


def test_the_panel_shows_a_result(store, customer, enrolment):
    (loaded,) = enrolment_list(customer=customer)
    html = render_panel(
        loaded, access_of(store, "staff"), {"level": "danger", "text": "No more today."}
    )
    assert "alert-danger" in html and "No more today." in html


def test_the_history_lists_the_ledger(client, staff, enrolment, django_assert_max_num_queries):
    for _ in range(3):
        stamp_add(enrolment=enrolment, count=1, actor_user=staff, note="visit")
    with django_assert_max_num_queries(7):
        response = client.get(reverse("loyalty:history", args=[enrolment.pk]))
    assert response.status_code == 200
    entries = list(response.context["page_obj"])
    assert [(e.kind, e.balance_after) for e in entries] == [
        ("stamp", 5),
        ("stamp", 4),
        ("stamp", 3),
        ("welcome", 2),
    ]
    assert "visit" in response.text and "Welcome bonus" in response.text


def test_another_stores_history_is_not_found(client, staff, other_store):
    rival = factories.CustomerCardFactory(customer__store=other_store)
    assert client.get(reverse("loyalty:history", args=[rival.pk])).status_code == 404


def test_the_qr_filter_returns_an_svg():
    svg = qr_svg("123456789012")
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "123456789012" in svg  # in its <title>
    assert qr_svg("") == ""
    assert "&lt;script&gt;" in qr_svg("<script>")


# --- In a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_builds_a_card_adding_reward_rows_with_htmx(live_server, page):
    store = factories.StoreFactory(name="Ada's Coffee")
    manager = factories.MembershipFactory(store=store, role="manager").user
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/console/")

    page.goto(f"{live_server.url}{reverse('loyalty:card_list')}")
    page.get_by_role("link", name="Create a card").click()
    page.get_by_label("Name").first.fill("Coffee card")
    page.get_by_label("Stamps for a full card").fill("10")
    page.get_by_label("Welcome stamps").fill("2")
    page.locator("#id_rewards-0-name").fill("Free coffee")
    page.locator("#id_rewards-0-stamps_required").fill("5")
    page.get_by_role("button", name="Add a reward").click()  # rows 0 and 1 were there
    page.wait_for_selector("#id_rewards-2-name")
    assert page.locator("#id_rewards-TOTAL_FORMS").input_value() == "3"
    page.locator("#id_rewards-2-name").fill("Free cake")
    page.locator("#id_rewards-2-stamps_required").fill("10")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_selector("text=Card “Coffee card” saved.")

    card = LoyaltyCard.objects.get(store=store)
    assert (card.stamps_required, card.initial_stamps) == (10, 2)
    assert list(card.rewards.values_list("name", "stamps_required")) == [
        ("Free coffee", 5),
        ("Free cake", 10),
    ]
    assert not errors, errors


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enter_in_the_card_form_saves_the_card(live_server, page):
    store = factories.StoreFactory(name="Ada's Coffee")
    manager = factories.MembershipFactory(store=store, role="manager").user
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/console/")

    page.goto(f"{live_server.url}{reverse('loyalty:card_create')}")
    page.get_by_label("Stamps for a full card").fill("10")
    page.locator("#id_rewards-0-name").fill("Free coffee")
    page.locator("#id_rewards-0-stamps_required").fill("5")
    name = page.get_by_label("Name").first
    name.click()
    name.press_sequentially("Coffee card")
    name.press("Enter")

    page.wait_for_selector("text=Card “Coffee card” saved.")
    assert page.url == f"{live_server.url}{reverse('loyalty:card_list')}"
    card = LoyaltyCard.objects.get(store=store)
    assert (card.name, card.stamps_required) == ("Coffee card", 10)
    # The reward typed, and no row added by "Add a reward".
    assert list(card.rewards.values_list("name", "stamps_required")) == [("Free coffee", 5)]
    assert not errors, errors


def test_a_daily_limit_beyond_a_thousand_is_a_form_error(store, member):
    from django.urls import reverse

    response = member("manager").post(
        reverse("loyalty:card_create"),
        {
            "name": "Busy",
            "stamps_required": 10,
            "initial_stamps": 0,
            "card_color": "#000000",
            "text_color": "#ffffff",
            "max_stamps_per_day": 40000,
            "rewards-TOTAL_FORMS": 0,
            "rewards-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "max_stamps_per_day" in response.context["form"].errors
