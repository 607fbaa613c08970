from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from stores.models import ApiKey, Store, StoreMembership
from stores.standards import choices_with


class StoreSettingsForm(forms.ModelForm):
    """The store's settings; country, currency and time zone are selects of the standard lists
    (stores.standards), and store_update checks them again."""

    LOCALE_FIELDS = ("phone_region", "currency", "timezone")

    class Meta:
        model = Store
        fields = ["name", "phone_region", "currency", "timezone", "reviews_enabled"]
        labels = {"reviews_enabled": "Customers can write reviews"}
        help_texts = {
            "reviews_enabled": "When off, the shopper API refuses new reviews and shows none."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.LOCALE_FIELDS:
            field = self.fields[name]
            field.choices = choices_with(field.choices, getattr(self.instance, name, ""))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "name",
            Row(
                Column("phone_region", css_class="col-md-7"),
                Column("currency", css_class="col-md-5"),
            ),
            "timezone",
            "reviews_enabled",
        )


class MemberInviteForm(forms.Form):
    """Invite someone by e-mail: they join when they open the link (invitation_create)."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="We send them a link to join: they create an account or sign in.",
    )
    role = forms.ChoiceField(choices=StoreMembership.Role.choices, initial="staff")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class InvitationAcceptForm(forms.Form):
    """The account a new member creates from an invitation; the rules are invitation_accept_
    new_user's (the service's "password" errors are shown beside the first password box)."""

    service_error_fields = {"password": ["password1"]}

    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. You sign in with it.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same.")
        return cleaned


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=StoreMembership.Role.choices)


class ApiKeyCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=ApiKey.Kind.choices)
    name = forms.CharField(max_length=100, required=False, help_text="Where the key is used.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


# What each event means, beside its checkbox.
WEBHOOK_EVENT_LABELS = {
    "customer.created": "a customer is created",
    "customer.updated": "a customer's details, tags or photo change",
    "customer.deleted": "a customer is deleted",
    "customer_card.created": "a customer is enrolled in a loyalty card",
    "customer_card.stamped": "stamps are added to a card",
    "customer_card.redeemed": "a reward is redeemed",
    "order.created": "an order is placed",
    "review.created": "a shopper posts a review",
    "review.published": "a review is published",
    "review.hidden": "a review is hidden",
    "review.deleted": "a review is deleted",
}


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        help_text="Each event is POSTed here as signed JSON. Use https.",
    )
    description = forms.CharField(
        max_length=255, required=False, help_text="What listens there, for your team."
    )
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {label}") for name, label in WEBHOOK_EVENT_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class CustomerGroupForm(forms.Form):
    name = forms.CharField(max_length=80)
    description = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
