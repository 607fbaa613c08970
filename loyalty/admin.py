"""Loyalty cards in Django admin.

Balances change only through loyalty.services (each change writes one ledger entry), so
enrolments and the ledger are read-only here: an enrolment is added by `card_enrol`, expired by
`enrolment_expire`, and the ledger is never edited.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from loyalty.forms import BaseRewardFormSet, CardRulesMixin
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from loyalty.selectors import enrolable_cards, ledger_balance
from loyalty.services import (
    REWARD_FIELDS,
    card_code_clean,
    card_enrol,
    card_enrol_check,
    card_save,
    enrolment_expire,
    reward_clean,
    reward_create,
    reward_update,
)
from stores.admin import LatestRowsFormSet, ReadOnlyAdminMixin, adopt_saved
from stores.forms import add_service_errors


def enrolment_problems(customer, card) -> list[str]:
    """Why card_enrol would refuse this pair (loyalty.services.card_enrol_check), in its
    words; archived and ended cards are also kept out of the choices by `enrolable_cards`."""
    try:
        card_enrol_check(customer=customer, card=card)
    except ValidationError as exc:
        return exc.messages
    return []


def card_label(card) -> str:
    return f"{card.name} · {card.store.name}"


class CardAdminForm(CardRulesMixin, forms.ModelForm):
    """The card programme's rules are loyalty.services.card_clean's (CardRulesMixin)."""


class CardRewardFormSet(BaseRewardFormSet):
    """The card's rewards, none costing more than the card form's stamps_required (the card
    instance carries it once that form is valid; otherwise the card form says what is wrong)."""

    def clean(self):
        self.card_stamps_required = self.instance.stamps_required
        super().clean()


class RewardInline(admin.TabularInline):
    model = Reward
    formset = CardRewardFormSet
    fields = ["name", "stamps_required", "active", "position", "description"]
    extra = 0


@admin.register(LoyaltyCard)
class LoyaltyCardAdmin(admin.ModelAdmin):
    """A card and its rewards are checked by loyalty.services' rules and saved together by
    card_save."""

    form = CardAdminForm
    list_display = [
        "name",
        "store",
        "stamps_required",
        "initial_stamps",
        "expiry_days",
        "expires_at",
        "archived",
        "created_at",
    ]
    list_filter = ["archived", "store"]
    list_select_related = ["store"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["store", "name", "description", "archived"]}),
        ("Stamps", {"fields": ["stamps_required", "initial_stamps", "max_stamps_per_day"]}),
        ("Expiry", {"fields": ["expires_at", "expiry_days"]}),
        ("Design", {"fields": ["header_text", "card_color", "text_color"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [RewardInline]

    def get_readonly_fields(self, request, obj=None):
        # Enrolments belong to the card's store; moving the card would orphan them.
        return [*self.readonly_fields, "store"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        pass  # saved with its rewards in save_related, in one card_save call

    def save_related(self, request, form, formsets, change):
        rewards, deleted = [], []
        for formset in formsets:
            rewards += formset.save(commit=False)
            deleted += formset.deleted_objects
        card_save(card=form.instance, rewards=rewards, deleted_rewards=deleted)


class RewardAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        card = cleaned.get("card")
        if card is not None:
            reward = Reward(card=card, **{f: cleaned.get(f) for f in REWARD_FIELDS})
            try:
                reward_clean(reward, card=card)
            except ValidationError as exc:
                add_service_errors(self, exc)
        return cleaned


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    """Rewards are checked and saved by loyalty.services (reward_create, reward_update)."""

    form = RewardAdminForm
    list_display = ["name", "card", "stamps_required", "active", "position"]
    list_filter = ["active", "card__store"]
    list_select_related = ["card"]
    search_fields = ["name", "card__name"]
    autocomplete_fields = ["card"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in REWARD_FIELDS if field in form.fields}
        card = form.cleaned_data["card"]
        if change:
            saved = reward_update(reward=obj, data=data, card=card)
        else:
            saved = reward_create(card=card, data=data)
        adopt_saved(obj, saved)


class StampEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StampEntry
    formset = LatestRowsFormSet
    fields = [
        "created_at",
        "kind",
        "delta",
        "balance_after",
        "reward_name",
        "note",
        "store",
        "actor",
    ]
    readonly_fields = fields
    verbose_name_plural = f"latest {LatestRowsFormSet.limit} stamp entries"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor_user", "actor_api_key", "store")

    @admin.display(description="By")
    def actor(self, entry):
        return entry.actor_user or entry.actor_api_key or "system"


class EnrolmentAddForm(forms.ModelForm):
    # The code's rules are loyalty.services.card_code_clean's (its messages, not the model's).
    code = forms.CharField(
        required=False,
        help_text="The barcode of a card you hand out: letters and digits, stored in capitals "
        "without spaces or dashes. Leave it empty for a new 12-digit code.",
    )

    class Meta:
        model = CustomerCard
        fields = ["customer", "card"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = enrolable_cards()
        self.fields["card"].label_from_instance = card_label

    service_error_fields = {"card_id": ["card"]}  # card_enrol_check's name for the card

    def clean(self):
        cleaned = super().clean()
        customer, card = cleaned.get("customer"), cleaned.get("card")
        if customer and card:
            try:
                card_enrol_check(customer=customer, card=card)
            except ValidationError as exc:
                add_service_errors(self, exc)
        if customer and cleaned.get("code"):
            try:
                cleaned["code"] = card_code_clean(store=customer.store, code=cleaned["code"])
            except ValidationError as exc:
                add_service_errors(self, exc)
        return cleaned


@admin.register(CustomerCard)
class CustomerCardAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "customer",
        "card",
        "store",
        "stamps_count",
        "effective_status_display",
        "expires_at",
        "last_stamped_at",
    ]
    list_filter = ["status", "store", "card"]
    list_select_related = ["customer", "card", "store"]
    # A trigram index on the code (migration 0002) makes a partial barcode fast on PostgreSQL.
    search_fields = ["code"]
    search_help_text = "Card code (barcode), or part of it."
    show_full_result_count = False
    autocomplete_fields = ["customer"]
    fieldsets = [
        (None, {"fields": ["customer", "card", "store", "code", "uuid"]}),
        (
            "Balance",
            {"fields": ["stamps_count", "ledger_total", "last_stamped_at", "entries_link"]},
        ),
        (
            "Status",
            {"fields": ["effective_status_display", "issued_at", "expires_at", "pass_installed"]},
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"fields": ["customer", "card", "code"]})]
    readonly_fields = ["ledger_total", "entries_link", "effective_status_display"]
    inlines = [StampEntryInline]
    actions = ["expire_enrolments"]

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.add_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = EnrolmentAddForm
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        return False  # balances and status change only through the loyalty services

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger goes with an enrolment; expire it instead

    def save_model(self, request, obj, form, change):
        enrolment = card_enrol(
            customer=form.cleaned_data["customer"],
            card=form.cleaned_data["card"],
            code=form.cleaned_data.get("code") or None,
            actor_user=request.user,
        )
        adopt_saved(obj, enrolment)

    @admin.display(description="Status")
    def effective_status_display(self, enrolment):
        return CustomerCard.Status(enrolment.effective_status).label

    @admin.display(description="Ledger total")
    def ledger_total(self, enrolment):
        return ledger_balance(enrolment)

    @admin.display(description="Ledger")
    def entries_link(self, enrolment):
        url = reverse("admin:loyalty_stampentry_changelist")
        return format_html(
            '<a href="{}?enrolment__id__exact={}">All entries</a>', url, enrolment.pk
        )

    def has_expire_permission(self, request):
        return request.user.has_perm("loyalty.change_customercard")

    @admin.action(description="Expire selected enrolments past their date", permissions=["expire"])
    def expire_enrolments(self, request, queryset):
        due = queryset.filter(status=CustomerCard.Status.ACTIVE, expires_at__lte=timezone.now())
        expired = 0
        for enrolment in due:
            enrolment_expire(enrolment=enrolment)
            expired += 1
        self.message_user(request, f"Expired {expired} enrolment(s).", messages.SUCCESS)


@admin.register(StampEntry)
class StampEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: written by the loyalty services, never edited."""

    list_display = [
        "created_at",
        "enrolment",
        "kind",
        "delta",
        "balance_after",
        "reward_name",
        "store",
        "actor_user",
        "actor_api_key",
    ]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["enrolment__card", "store", "actor_user", "actor_api_key"]
    search_fields = ["=enrolment__code"]
    search_help_text = "The card's full code."
    show_full_result_count = False
    fields = [
        "enrolment",
        "kind",
        "delta",
        "balance_after",
        "reward",
        "reward_name",
        "note",
        "store",
        "actor_user",
        "actor_api_key",
        "created_at",
    ]
    readonly_fields = fields
