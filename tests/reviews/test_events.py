"""A review posted, published, hidden or deleted is a line of its author's timeline, with who did
it: the shopper (posting, deleting their own) or the staff member (console and admin), one line
per review in a bulk action. Through HTTP, as each of them does it."""

import pytest
from django.urls import reverse

from customers.models import CustomerEvent
from reviews.models import Review
from tests import factories
from tests.helpers import empty_inlines

pytestmark = pytest.mark.django_db
API = "/storefront/v1"
REVIEW_KINDS = [
    CustomerEvent.Type.REVIEW_POSTED,
    CustomerEvent.Type.REVIEW_PUBLISHED,
    CustomerEvent.Type.REVIEW_HIDDEN,
    CustomerEvent.Type.REVIEW_DELETED,
]


def review_events(**filters):
    return list(
        CustomerEvent.objects.filter(type__in=REVIEW_KINDS, **filters).order_by("created_at", "id")
    )


def assert_one_event_per_review(reviews, type, actor_user):
    events = review_events()
    assert [event.type for event in events] == [type] * len(reviews)
    assert {(event.customer_id, event.data["review"]) for event in events} == {
        (review.author_id, review.public_id) for review in reviews
    }
    assert {event.actor_user for event in events} == {actor_user}


def review_of(store, **kwargs) -> Review:
    author = kwargs.pop("author", None) or factories.CustomerFactory(store=store, phone="")
    return factories.ReviewFactory(author=author, **kwargs)


# --- The shopper ----------------------------------------------------------------------------


def test_posting_a_review_is_on_the_authors_timeline_by_the_customer(shopper, store, customer):
    espresso = factories.ProductFactory(store=store, name="Espresso")
    response = shopper.post(
        f"{API}/reviews", {"subject": espresso.public_id, "rating": 4, "content": "Bold."}, "json"
    )
    assert response.status_code == 201, response.content

    [event] = review_events()
    assert event.type == CustomerEvent.Type.REVIEW_POSTED
    assert event.customer == customer and event.store_id == store.pk
    assert event.actor_customer == customer
    assert event.actor_user is None and event.actor_api_key is None
    assert event.data["review"] == response.json()["id"]
    assert event.data["rating"] == 4


def test_a_refused_review_records_nothing(shopper, store, customer):
    response = shopper.post(f"{API}/reviews", {"subject": store.public_id, "rating": 9}, "json")
    assert response.status_code == 422
    assert review_events() == []


def test_deleting_ones_own_review_is_on_the_timeline_by_the_customer(shopper, store, customer):
    review = review_of(store, author=customer)
    response = shopper.delete(f"{API}/reviews/{review.public_id}")
    assert response.status_code == 204

    [event] = review_events()
    assert event.type == CustomerEvent.Type.REVIEW_DELETED
    assert (event.customer, event.actor_customer, event.actor_user) == (customer, customer, None)
    assert event.data["review"] == review.public_id


# --- The console ----------------------------------------------------------------------------


def test_bulk_hide_records_one_event_per_review_by_the_manager(member, store):
    manager = member("manager")
    reviews = [review_of(store) for _ in range(3)]
    already_hidden = review_of(store, status=Review.Status.HIDDEN)
    ids = [review.pk for review in [*reviews, already_hidden]]

    response = manager.post(reverse("reviews:bulk"), {"action": "hide", "ids": ids})
    assert response.status_code == 302

    events = review_events()  # none for the review that was hidden already
    assert {(event.customer_id, event.data["review"]) for event in events} == {
        (review.author_id, review.public_id) for review in reviews
    }
    for event in events:
        assert event.type == CustomerEvent.Type.REVIEW_HIDDEN
        assert event.actor_user == manager.user and event.actor_customer is None


def test_bulk_publish_records_one_event_per_review(member, store):
    manager = member("manager")
    hidden = [review_of(store, status=Review.Status.HIDDEN) for _ in range(2)]
    manager.post(reverse("reviews:bulk"), {"action": "publish", "ids": [r.pk for r in hidden]})

    assert_one_event_per_review(hidden, CustomerEvent.Type.REVIEW_PUBLISHED, manager.user)


def test_bulk_delete_records_one_event_per_review(member, store):
    manager = member("manager")
    reviews = [review_of(store) for _ in range(2)]
    ids = [review.pk for review in reviews]
    manager.post(reverse("reviews:bulk"), {"action": "delete", "ids": ids})  # the question
    assert review_events() == []

    manager.post(reverse("reviews:bulk"), {"action": "delete", "ids": ids, "confirm": "yes"})

    assert not Review.objects.exists()
    assert_one_event_per_review(reviews, CustomerEvent.Type.REVIEW_DELETED, manager.user)


def test_hiding_and_deleting_one_review_in_the_console(member, store):
    manager = member("manager")
    review = review_of(store)
    manager.post(reverse("reviews:status", args=[review.pk]), {"status": "hidden"})
    manager.post(reverse("reviews:status", args=[review.pk]), {"status": "hidden"})  # no change
    manager.post(reverse("reviews:delete", args=[review.pk]), {"confirm": "yes"})

    events = review_events(customer=review.author)
    assert [event.type for event in events] == [
        CustomerEvent.Type.REVIEW_HIDDEN,
        CustomerEvent.Type.REVIEW_DELETED,
    ]
    assert {event.actor_user for event in events} == {manager.user}


def test_moderation_refused_to_staff_records_nothing(member, store):
    review = review_of(store)
    staff = member("staff")
    assert staff.post(reverse("reviews:bulk"), {"action": "hide", "ids": [review.pk]}).status_code
    assert review_events() == []


def test_the_timeline_shows_who_moderated(member, store):
    manager = member("manager")
    review = review_of(store)
    manager.post(reverse("reviews:status", args=[review.pk]), {"status": "hidden"})
    page = manager.get(reverse("customers:detail", args=[review.author_id]))
    events = page.context["events"]
    assert events[0].type == CustomerEvent.Type.REVIEW_HIDDEN
    assert events[0].actor_label == manager.user.get_username()
    assert "Review hidden" in page.content.decode()


# --- Django admin ---------------------------------------------------------------------------


def admin_changelist():
    return reverse("admin:reviews_review_changelist")


def test_the_admin_actions_record_one_event_per_review_by_the_admin(admin_client, admin_user):
    store = factories.StoreFactory()
    reviews = [review_of(store) for _ in range(2)]
    ids = [review.pk for review in reviews]

    admin_client.post(admin_changelist(), {"action": "hide_reviews", "_selected_action": ids})
    admin_client.post(admin_changelist(), {"action": "hide_reviews", "_selected_action": ids})
    admin_client.post(
        admin_changelist(), {"action": "publish_reviews", "_selected_action": ids[:1]}
    )

    assert set(Review.objects.filter(status="hidden")) == {reviews[1]}
    events = review_events()
    assert [event.type for event in events] == [
        CustomerEvent.Type.REVIEW_HIDDEN,
        CustomerEvent.Type.REVIEW_HIDDEN,
        CustomerEvent.Type.REVIEW_PUBLISHED,
    ]
    assert {event.actor_user for event in events} == {admin_user}
    assert events[2].customer == reviews[0].author
    assert events[2].data["review"] == reviews[0].public_id


def test_changing_the_status_on_the_admin_form_goes_through_the_service(admin_client, admin_user):
    review = review_of(factories.StoreFactory())
    url = reverse("admin:reviews_review_change", args=[review.pk])

    response = admin_client.post(url, {"status": "hidden", **empty_inlines("media")})

    assert response.status_code == 302, response.context["adminform"].form.errors
    review.refresh_from_db()
    assert review.status == Review.Status.HIDDEN
    [event] = review_events()
    assert (event.type, event.actor_user, event.customer) == (
        CustomerEvent.Type.REVIEW_HIDDEN,
        admin_user,
        review.author,
    )
