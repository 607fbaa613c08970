"""reviews.selectors.review_list_for_console: the console list's filters, as a read the view
only calls."""

from datetime import UTC, date, datetime

import pytest

from reviews.models import Review
from reviews.selectors import review_list_for_console
from tests import factories

pytestmark = pytest.mark.django_db


def review_at(store, when, **kwargs) -> Review:
    author = factories.CustomerFactory(store=store, phone="")
    return factories.ReviewFactory(author=author, created_at=when, **kwargs)


def test_the_days_are_the_stores_and_both_ends_are_included(store):
    store.timezone = "America/Los_Angeles"
    store.save()
    # 1 November 2026 in Los Angeles runs from 07:00 UTC to 07:00 UTC the next day.
    before = review_at(store, datetime(2026, 11, 1, 6, 59, tzinfo=UTC))
    first = review_at(store, datetime(2026, 11, 1, 7, 0, tzinfo=UTC))
    last = review_at(store, datetime(2026, 11, 2, 7, 59, tzinfo=UTC))  # 23:59 PST, 2 November
    after = review_at(store, datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    days = {"created_from": date(2026, 11, 1), "created_to": date(2026, 11, 2)}

    listed = list(review_list_for_console(store=store, filters=days))

    assert listed == [last, first]
    assert before not in listed and after not in listed


def test_an_inverted_range_lists_nothing(store):
    review_at(store, datetime(2026, 11, 1, 12, tzinfo=UTC))
    days = {"created_from": date(2026, 11, 2), "created_to": date(2026, 11, 1)}
    assert list(review_list_for_console(store=store, filters=days)) == []


def test_filters_combine_and_sort(store, other_store):
    product = factories.ProductFactory(store=store)
    when = datetime(2026, 11, 1, 12, tzinfo=UTC)
    wanted = [
        review_at(store, when, rating=4, content="Good beans", status="hidden"),
        review_at(store, when.replace(hour=13), rating=4, content="good BEANS indeed"),
    ]
    review_at(store, when, rating=4, content="Good tea")
    review_at(store, when, rating=2, content="Good beans")
    review_at(other_store, when, rating=4, content="Good beans")
    review_at(store, when, rating=4, content="Good beans", subject_type="product", product=product)

    filters = {"q": "good beans", "rating": 4, "subject": "store", "sort": "oldest"}
    assert list(review_list_for_console(store=store, filters=filters)) == wanted
    hidden = {**filters, "status": "hidden"}
    assert list(review_list_for_console(store=store, filters=hidden)) == wanted[:1]
    by_product = {"subject": str(product.pk)}
    assert [r.product for r in review_list_for_console(store=store, filters=by_product)] == [
        product
    ]
