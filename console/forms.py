from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

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


class MemberAddForm(forms.Form):
    user = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=StoreMembership.Role.choices, initial="staff")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_user(self):
        value = self.cleaned_data["user"].strip()
        users = get_user_model().objects.filter(
            Q(username__iexact=value) | Q(email__iexact=value), is_active=True
        )
        if users.count() != 1:
            raise forms.ValidationError("No single active user has this username or email.")
        return users.get()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=StoreMembership.Role.choices)


class ApiKeyCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=ApiKey.Kind.choices)
    name = forms.CharField(max_length=100, required=False, help_text="Where the key is used.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
