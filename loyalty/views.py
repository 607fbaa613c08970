"""The loyalty section of the console: card programmes, and the stamp/redeem/enrol actions the
customer page posts to. Views parse and present; loyalty.services decides."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from customers.selectors import customer_timeline
from loyalty import selectors, services
from loyalty.forms import EnrolForm, LoyaltyCardForm, RedeemForm, RewardFormSet, StampForm
from loyalty.models import LoyaltyCard, Reward
from stores.access import console_view
from stores.forms import add_service_errors
from stores.paging import paginate

REWARDS_PREFIX = "rewards"


def _customer_url(customer_pk: int) -> str:
    return reverse("customers:detail", args=[customer_pk]) + "#loyalty"


def _is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _refusal_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _enrolment_here(request, pk):
    """An enrolment the current store serves (its own, or its network's: a member store
    stamps the network's cards), or a 404."""
    return get_object_or_404(selectors.enrolments_at_store(store=request.access.store), pk=pk)


def _counter(request):
    """The store where a stamp or a redemption happens: the current store, or none when the
    console is working in a network's account (the network acts without a counter)."""
    store = request.access.store
    return None if store.is_network else store


# --- Card programmes --------------------------------------------------------------------------


@require_GET
@console_view()
def card_list(request):
    cards = list(selectors.card_list(store=request.access.store))
    context = {
        "cards": [card for card in cards if not card.archived],
        "archived_cards": [card for card in cards if card.archived],
    }
    return render(request, "loyalty/card_list.html", context)


@console_view("manage_loyalty")
def card_create(request):
    return _card_form_page(request, LoyaltyCard(store=request.access.store))


@console_view("manage_loyalty")
def card_edit(request, pk):
    card = get_object_or_404(LoyaltyCard, pk=pk, store=request.access.store)
    return _card_form_page(request, card)


def _card_form_page(request, card: LoyaltyCard):
    creating = card.pk is None
    saved_name = card.name  # the heading keeps it while the form shows what was typed
    extra = 2 if creating else 1
    if request.method == "POST":
        data = request.POST
        if "add_reward" in data:  # without JavaScript: the same page with one more reward row
            data = data.copy()
            total = f"{REWARDS_PREFIX}-TOTAL_FORMS"
            data[total] = str(_int(data.get(total), 0) + 1)
        form = LoyaltyCardForm(data, instance=card)
        card_ok = form.is_valid()
        formset = RewardFormSet(
            data,
            instance=card,
            prefix=REWARDS_PREFIX,
            card_stamps_required=form.cleaned_data.get("stamps_required"),
        )
        if "add_reward" not in data and card_ok and formset.is_valid():
            rewards = formset.save(commit=False)
            try:
                card = services.card_save(
                    card=form.save(commit=False),
                    rewards=rewards,
                    deleted_rewards=formset.deleted_objects,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Card “{card.name}” saved.")
                return redirect("loyalty:card_list")
    else:
        form = LoyaltyCardForm(instance=card)
        formset = RewardFormSet(instance=card, prefix=REWARDS_PREFIX, extra=extra)
    context = {
        "form": form,
        "formset": formset,
        "card": card,
        "creating": creating,
        "saved_name": saved_name,
    }
    return render(request, "loyalty/card_form.html", context)


@require_GET
@console_view("manage_loyalty")
def reward_row(request):
    """One more blank reward row for the card form (htmx), and the formset's new form count."""
    index = max(_int(request.GET.get("index"), 0), 0)
    formset = RewardFormSet(instance=LoyaltyCard(), prefix=REWARDS_PREFIX)
    row = formset.form(
        prefix=formset.add_prefix(index), empty_permitted=True, use_required_attribute=False
    )
    formset.add_fields(row, index)
    context = {"row": row, "index": index, "next_index": index + 1, "oob": True}
    return render(request, "loyalty/_reward_row.html", context)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- Enrolments -------------------------------------------------------------------------------


@require_POST
@console_view("stamp_cards")
def enrol(request, customer_pk):
    store = request.access.store
    customer = get_object_or_404(Customer, pk=customer_pk, store=store)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a card to enrol in.")
        return redirect(_customer_url(customer.pk))
    card = get_object_or_404(LoyaltyCard, pk=form.cleaned_data["card"], store=store)
    try:
        enrolment = services.card_enrol(customer=customer, card=card, actor_user=request.user)
    except ValidationError as exc:
        messages.error(request, _refusal_text(exc))
    else:
        welcome = enrolment.stamps_count
        messages.success(
            request,
            f"Enrolled in {card.name} with {welcome} welcome stamp{'' if welcome == 1 else 's'}.",
        )
    return redirect(_customer_url(customer.pk))


@require_POST
@console_view("stamp_cards")
def stamp(request, pk):
    enrolment = _enrolment_here(request, pk)
    form = StampForm(request.POST)
    if not form.is_valid():
        result = _danger(" ".join(e for errors in form.errors.values() for e in errors))
    else:
        count = form.cleaned_data["count"]
        try:
            services.stamp_add(
                enrolment=enrolment,
                count=count,
                note=form.cleaned_data["note"],
                actor_user=request.user,
                at_store=_counter(request),
            )
        except ValidationError as exc:
            result = _danger(_refusal_text(exc))
        else:
            result = _success(
                f"+{count} stamp{'' if count == 1 else 's'}: "
                f"{enrolment.stamps_count} of {enrolment.card.stamps_required}"
            )
    return _action_answer(request, enrolment, result)


@require_POST
@console_view("stamp_cards")
def redeem(request, pk):
    enrolment = _enrolment_here(request, pk)
    form = RedeemForm(request.POST)
    if not form.is_valid():
        result = _danger("Choose a reward to redeem.")
    else:
        # A reward of the enrolment's account (the store's, or its network's).
        reward = get_object_or_404(
            Reward, pk=form.cleaned_data["reward"], card__store_id=enrolment.store_id
        )
        try:
            entry = services.reward_redeem(
                enrolment=enrolment,
                reward=reward,
                actor_user=request.user,
                at_store=_counter(request),
            )
        except ValidationError as exc:
            result = _danger(_refusal_text(exc))
        else:
            left = entry.balance_after
            result = _success(
                f"Redeemed {reward.name}: {left} stamp{'' if left == 1 else 's'} left"
            )
    return _action_answer(request, enrolment, result)


def _success(text: str) -> dict:
    return {"level": "success", "text": text}


def _danger(text: str) -> dict:
    return {"level": "danger", "text": text}


def _action_answer(request, enrolment, result: dict):
    """htmx: the enrolment's panel again, with the result inside, and after a change the
    customer's timeline too (swapped out of band, for the card's own account), so the page
    shows the new event without a reload; otherwise a message and the customer's page."""
    if _is_htmx(request):
        context = {"enrolment": enrolment, "access": request.access, "result": result}
        html = render_to_string("loyalty/_enrolment.html", context, request=request)
        # A member store does not see the network customer's timeline (it covers the
        # network's other stores): only the card's own account gets it back.
        if result["level"] == "success" and enrolment.store_id == request.access.store.pk:
            events = customer_timeline(customer=enrolment.customer)
            html += render_to_string(
                "customers/_timeline.html", {"events": events, "oob": True}, request=request
            )
        return HttpResponse(html)
    if result["level"] == "success":
        messages.success(request, result["text"] + ".")
    else:
        messages.error(request, result["text"])
    return redirect(_customer_url(enrolment.customer_id))


@require_GET
@console_view()
def history(request, pk):
    enrolment = _enrolment_here(request, pk)
    context = {
        "enrolment": enrolment,
        "customer": enrolment.customer,
        **paginate(request, selectors.enrolment_entries(enrolment=enrolment)),
    }
    return render(request, "loyalty/history.html", context)
