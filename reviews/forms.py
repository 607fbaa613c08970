"""Console forms for reviews: they parse what managers pick; reviews.services does the writes."""

from django import forms
from django.db.models import F

from reviews.models import Review
from stores.forms import ListFilterForm
from stores.models import Product

# The list's orders: reviews.selectors.reviews_sorted's keys, as the console names them.
SORT_LABELS = {
    "newest": "Newest",
    "oldest": "Oldest",
    "highest": "Rating, high to low",
    "lowest": "Rating, low to high",
    "helpful": "Most helpful",
}
DEFAULT_SORT = "newest"

# Products without a published review have no average: they come last either way.
PRODUCT_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "-rating": (F("rating_average").desc(nulls_last=True), "-rating_count", "name", "id"),
    "rating": (F("rating_average").asc(nulls_last=True), "-rating_count", "name", "id"),
    "-reviews": ("-rating_count", "name", "id"),
    "reviews": ("rating_count", "name", "id"),
    "-price": ("-price", "name", "id"),
    "price": ("price", "name", "id"),
}

BULK_ACTIONS = {"hide": "Hide", "publish": "Publish", "delete": "Delete"}


class ReviewFilterForm(ListFilterForm):
    """The review list's search and filters (GET); a bad value is dropped, never an error page."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Review.Status.choices])
    rating = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any"), *((str(n), f"{n} stars") for n in range(5, 1, -1)), ("1", "1 star")],
    )
    subject = forms.ChoiceField(required=False, choices=[])
    media = forms.ChoiceField(
        required=False,
        label="Photos and videos",
        choices=[
            ("", "With or without media"),
            ("yes", "Has photos or videos"),
            ("no", "Text only"),
        ],
    )
    created_from = forms.DateField(
        required=False, label="Written from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        required=False, label="Written to", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()))

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        products = (
            Product.objects.filter(store=store).order_by("name", "id").values_list("pk", "name")
        )
        self.fields["subject"].choices = [
            ("", "Any subject"),
            (Review.Subject.STORE, "The store itself"),
            ("Products", [(str(pk), name) for pk, name in products]),
        ]


class ProductFilterForm(ListFilterForm):
    q = forms.CharField(required=False, max_length=200, label="Search")
    active = forms.ChoiceField(
        required=False,
        choices=[("", "Active and inactive"), ("yes", "Active"), ("no", "Inactive")],
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in PRODUCT_SORTS])


MAX_DATABASE_ID = 2**63 - 1  # past it, SQLite and PostgreSQL refuse the number itself


class IdListField(forms.Field):
    """Review ids from checkboxes (`ids=3&ids=7`); what is not a positive integer is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        ids = []
        for item in value:
            try:
                number = int(item)
            except (TypeError, ValueError):
                continue
            if 0 < number <= MAX_DATABASE_ID and number not in ids:
                ids.append(number)
        return ids


class ReviewBulkForm(forms.Form):
    """A bulk action on the ticked reviews. Which of those ids the store owns is the view's job."""

    action = forms.ChoiceField(
        choices=list(BULK_ACTIONS.items()),
        error_messages={"required": "Choose an action.", "invalid_choice": "Choose an action."},
    )
    ids = IdListField(error_messages={"required": "Tick at least one review."})
    confirm = forms.CharField(required=False)

    @property
    def confirmed(self) -> bool:
        return self.cleaned_data.get("confirm") == "yes"


class ReviewStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Review.Status.choices)
