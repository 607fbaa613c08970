"""The customer page's timeline says what happened to a review: its stars and what it was
about, linked to the review's page in the console while the review exists (for those who may
open that page), with the same queries however many review events there are."""

import re

import pytest
from django.urls import reverse

from reviews.services import review_create, review_delete, review_set_status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso")


def _timeline(response) -> str:
    assert response.status_code == 200
    return response.text.split('id="timeline"')[1]


def _events(response) -> list[str]:
    """Each timeline line's text, spaces squeezed, tags dropped."""
    items = re.findall(r'<li data-testid="event">(.*?)</li>', _timeline(response), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def _page(client, customer):
    return client.get(reverse("customers:detail", args=[customer.pk]))


def test_a_posted_review_shows_its_stars_and_subject_with_a_link(
    manager_client, store, customer, espresso
):
    review = review_create(store=store, author=customer, subject=espresso, rating=4)

    response = _page(manager_client, customer)

    assert _events(response)[0].startswith("Review posted · ★★★★☆ on Espresso")
    link = reverse("reviews:detail", args=[review.pk])
    assert f'href="{link}"' in _timeline(response)
    assert 'aria-label="4 out of 5 stars"' in _timeline(response)


def test_a_review_of_the_store_is_on_the_store(manager_client, store, customer):
    review_create(store=store, author=customer, subject=None, rating=5)

    assert _events(_page(manager_client, customer))[0].startswith(
        "Review posted · ★★★★★ on the store"
    )


def test_every_review_event_is_shown_and_a_deleted_review_is_no_link(
    manager_client, store, customer, espresso
):
    review = review_create(store=store, author=customer, subject=espresso, rating=2)
    review_set_status(review=review, status="hidden", actor_user=manager_client.user)
    review_set_status(review=review, status="published", actor_user=manager_client.user)
    link = reverse("reviews:detail", args=[review.pk])
    review_delete(review=review, actor_user=manager_client.user)

    response = _page(manager_client, customer)

    lines = [line.split(" by ")[0] for line in _events(response)[:4]]
    assert lines == [
        "Review deleted · ★★☆☆☆ on Espresso",
        "Review published · ★★☆☆☆ on Espresso",
        "Review hidden · ★★☆☆☆ on Espresso",
        "Review posted · ★★☆☆☆ on Espresso",
    ]
    assert link not in _timeline(response)


def test_staff_who_cannot_moderate_see_the_review_without_a_link(
    staff_client, store, customer, espresso
):
    review = review_create(store=store, author=customer, subject=espresso, rating=3)

    response = _page(staff_client, customer)

    assert _events(response)[0].startswith("Review posted · ★★★☆☆ on Espresso")
    assert reverse("reviews:detail", args=[review.pk]) not in _timeline(response)


def test_review_events_cost_the_same_queries_however_many(
    manager_client, store, customer, django_assert_max_num_queries
):
    def post_reviews(n):
        for _ in range(n):
            product = factories.ProductFactory(store=store)
            review_create(store=store, author=customer, subject=product, rating=4)

    post_reviews(1)
    with django_assert_max_num_queries(25) as few:
        _page(manager_client, customer)
    post_reviews(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = _page(manager_client, customer)
    assert len(re.findall(r'href="/console/reviews/\d+/"', _timeline(response))) == 13
