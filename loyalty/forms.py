"""Console forms for loyalty: they parse and present; the rules live in loyalty.services and in
the models' constraints, whose messages the forms show beside the field they concern."""

import copy

from crispy_forms.bootstrap import FieldWithButtons, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.forms.models import construct_instance

from loyalty.models import MAX_STAMPS_REQUIRED, LoyaltyCard, Reward
from loyalty.services import (
    CARD_BOUNDS,
    MAX_STAMPS_PER_CALL,
    NOTE_MAX_LENGTH,
    card_clean,
    reward_cost_clean,
)
from stores.forms import add_service_errors


class ColorInput(forms.TextInput):
    input_type = "color"

    def __init__(self, attrs=None):
        super().__init__({"class": "form-control form-control-color", **(attrs or {})})


class CardRulesMixin:
    """For a LoyaltyCard ModelForm (console and admin): the form reads whole numbers, and
    loyalty.services.card_clean says what a card may be, each message once beside its field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high) in CARD_BOUNDS.items():
            if name in self.fields:
                # The form field's own range ("at least 0") would be a second, other message.
                self.fields[name].validators = []
                self.fields[name].widget.attrs.update(min=low, max=high)

    def clean(self):
        cleaned = super().clean()
        card = construct_instance(self, copy.copy(self.instance), self._meta.fields)
        try:
            # What the form could not read is not checked again: its message is there already.
            card_clean(card, exclude=self.errors)
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


class LoyaltyCardForm(CardRulesMixin, forms.ModelForm):
    class Meta:
        model = LoyaltyCard
        fields = [
            "name",
            "description",
            "header_text",
            "stamps_required",
            "initial_stamps",
            "max_stamps_per_day",
            "expiry_days",
            "card_color",
            "text_color",
            "archived",
        ]
        labels = {
            "stamps_required": "Stamps for a full card",
            "initial_stamps": "Welcome stamps",
            "max_stamps_per_day": "Daily limit",
            "expiry_days": "Each card expires after (days)",
            "card_color": "Card colour",
            "text_color": "Text colour",
            "archived": "Archived (takes no new customers)",
        }
        help_texts = {
            "max_stamps_per_day": "The most stamps one card may get in a day; empty for no limit.",
            "expiry_days": "Days from enrolment; empty for cards that never expire.",
            "header_text": "A line printed at the top of the card.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "card_color": ColorInput(),
            "text_color": ColorInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's <form> has its token
        self.helper.layout = Layout(
            Fieldset("Programme", "name", "description", "header_text"),
            Fieldset(
                "Stamps",
                Row(
                    Column("stamps_required", css_class="col-sm-6 col-lg-3"),
                    Column("initial_stamps", css_class="col-sm-6 col-lg-3"),
                    Column("max_stamps_per_day", css_class="col-sm-6 col-lg-3"),
                    Column("expiry_days", css_class="col-sm-6 col-lg-3"),
                ),
            ),
            Fieldset(
                "Design",
                Row(
                    Column("card_color", css_class="col-auto"),
                    Column("text_color", css_class="col-auto"),
                ),
            ),
            Field("archived"),
        )


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = ["name", "stamps_required", "description", "active", "position"]
        labels = {"stamps_required": "Stamps", "position": "Order"}
        widgets = {"description": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stamps_required"].widget.attrs.update(min=1, max=MAX_STAMPS_REQUIRED)
        self.fields["position"].widget.attrs.update(min=0)


class BaseRewardFormSet(BaseInlineFormSet):
    """Reward rows of a card; `card_stamps_required` (the card form's cleaned value) bounds
    what a reward may cost."""

    def __init__(self, *args, card_stamps_required=None, extra=None, **kwargs):
        self.card_stamps_required = card_stamps_required
        super().__init__(*args, **kwargs)
        if extra is not None:
            self.extra = extra

    def clean(self):
        super().clean()
        if self.card_stamps_required is None:
            return  # the card form reports its own stamps_required
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", {})
            if cleaned.get("DELETE") or (not form.has_changed() and form.instance.pk is None):
                continue
            stamps = cleaned.get("stamps_required")
            if stamps is None:
                continue
            try:
                reward_cost_clean(
                    stamps_required=stamps, card_stamps_required=self.card_stamps_required
                )
            except ValidationError as exc:
                form.add_error(None, exc)


RewardFormSet = inlineformset_factory(
    LoyaltyCard,
    Reward,
    form=RewardForm,
    formset=BaseRewardFormSet,
    extra=1,
    can_delete=True,
)


class StampForm(forms.Form):
    count = forms.IntegerField(
        label="Stamps",
        required=False,
        initial=1,
        min_value=1,
        max_value=MAX_STAMPS_PER_CALL,
        error_messages={
            "invalid": f"Add from 1 to {MAX_STAMPS_PER_CALL} stamps at a time.",
            "min_value": f"Add from 1 to {MAX_STAMPS_PER_CALL} stamps at a time.",
            "max_value": f"Add from 1 to {MAX_STAMPS_PER_CALL} stamps at a time.",
        },
    )
    # The length is the service's rule (its message); the browser stops there.
    note = forms.CharField(
        label="Note", required=False, widget=forms.TextInput(attrs={"maxlength": NOTE_MAX_LENGTH})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["count"].widget.attrs.update(
            min=1, max=MAX_STAMPS_PER_CALL, step=1, inputmode="numeric"
        )
        self.fields["note"].widget.attrs.update(placeholder="Note (optional)")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.form_show_labels = False
        self.helper.layout = Layout(
            FieldWithButtons(
                Field("count", css_class="form-control-sm max-w-6rem", aria_label="Stamps to add"),
                StrictButton(
                    '<i class="bi bi-plus-lg" aria-hidden="true"></i> Add stamps',
                    type="submit",
                    css_class="btn-sm btn-primary",
                ),
            ),
            Field("note", css_class="form-control-sm", aria_label="Note"),
        )

    def clean_count(self):
        return self.cleaned_data["count"] or 1


class RedeemForm(forms.Form):
    """The reward to redeem, by pk; `rewards` (a list) gives the choices without a query."""

    reward = forms.IntegerField(label="Reward", widget=forms.Select)

    def __init__(self, *args, rewards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].error_messages.update(
            required="Choose a reward.", invalid="Choose a reward."
        )
        self.fields["reward"].widget.choices = [("", "Choose a reward…")] + [
            (reward.pk, f"{reward.name} · {reward.stamps_required} stamps") for reward in rewards
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.form_show_labels = False
        self.helper.layout = Layout(
            FieldWithButtons(
                Field("reward", css_class="form-select-sm", aria_label="Reward to redeem"),
                StrictButton(
                    '<i class="bi bi-gift" aria-hidden="true"></i> Redeem',
                    type="submit",
                    css_class="btn-sm btn-success",
                    data_confirm="Redeem this reward? Its stamps are taken off the card.",
                ),
            ),
        )


class EnrolForm(forms.Form):
    """The card to enrol a customer in, by pk; `cards` (a queryset or list) gives the choices."""

    card = forms.IntegerField(label="Card", widget=forms.Select)

    def __init__(self, *args, cards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].error_messages.update(
            required="Choose a card.", invalid="Choose a card."
        )
        self.fields["card"].widget.choices = [(card.pk, card.name) for card in cards]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.form_show_labels = False
        self.helper.layout = Layout(
            FieldWithButtons(
                Field("card", css_class="form-select-sm", aria_label="Card to enrol in"),
                StrictButton(
                    '<i class="bi bi-plus-circle" aria-hidden="true"></i> Enrol',
                    type="submit",
                    css_class="btn-sm btn-outline-primary",
                ),
            ),
        )
