from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from stores.models import ApiKey, Store, StoreMembership


class StoreSettingsForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ["name", "phone_region", "currency", "timezone", "reviews_enabled"]
        labels = {"reviews_enabled": "Customers can write reviews"}
        help_texts = {
            "reviews_enabled": "When off, the shopper API refuses new reviews and shows none."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_phone_region(self):
        return self.cleaned_data["phone_region"].upper()

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()


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
