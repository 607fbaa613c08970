"""The shopper API's reviews through HTTP, as an app on the Fleetbase SDK calls them: GET/POST
reviews, GET reviews/count, GET/DELETE reviews/{id}, POST reviews/{id}/vote."""

import base64
import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from reviews import services
from reviews.models import Review, ReviewMedia, ReviewVote
from tests import factories
from tests.helpers import assert_error, client_of
from tests.reviews.test_services import (
    GPS,
    jpeg_with_gps,
    mp4_bytes,
    png_bytes,
    webm_bytes,
    webp_bytes,
)

pytestmark = pytest.mark.django_db
API = "/storefront/v1"
REVIEW_KEYS = {
    "id",
    "subject",
    "rating",
    "content",
    "photos",
    "media",
    "upvotes",
    "downvotes",
    "customer",
    "created_at",
}


def someone(store, **kwargs):
    """Another customer of `store`. Without a phone: the factory's phone sequence reaches the
    `customer` fixture's number (+14155550123) at its 123rd customer."""
    return factories.CustomerFactory(store=store, **{"phone": "", **kwargs})


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso")


def post_json(client, subject, rating=5, **body):
    return client.post(f"{API}/reviews", {"subject": subject, "rating": rating, **body}, "json")


def post_files(client, subject, files, rating=5, key="files[]", **body):
    return client.post(
        f"{API}/reviews",
        {"subject": subject, "rating": rating, key: files, **body},
        format="multipart",
    )


def a_file(data: bytes, name: str, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_bytes(review_id) -> list[bytes]:
    media = ReviewMedia.objects.filter(review__public_id=review_id).order_by("position")
    return [default_storage.open(item.file.name).read() for item in media]


def published(author, *, product=None, rating=5, status=Review.Status.PUBLISHED, **kwargs):
    return factories.ReviewFactory(
        author=author,
        subject_type="product" if product else "store",
        product=product,
        rating=rating,
        status=status,
        **kwargs,
    )


# --- POST reviews ---------------------------------------------------------------------------


def test_a_customer_reviews_a_product(shopper, customer, espresso):
    response = post_json(shopper, espresso.public_id, 4, content="Rich and smooth.")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == REVIEW_KEYS
    assert body["id"].startswith("review_")
    assert body["subject"] == espresso.public_id
    assert (body["rating"], body["content"]) == (4, "Rich and smooth.")
    assert (body["photos"], body["media"], body["upvotes"], body["downvotes"]) == ([], [], 0, 0)
    assert body["customer"] == {
        "id": customer.public_id,
        "name": "Ada Lovelace",
        "photo_url": None,
    }
    assert b"ada@example.com" not in response.content and b"4155550123" not in response.content
    assert Review.objects.get().author == customer


def test_a_customer_reviews_the_store(shopper, store):
    response = post_json(shopper, store.public_id, 5)
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == store.public_id
    assert Review.objects.get().subject_type == "store"


def test_one_review_per_subject(shopper, store, espresso):
    assert post_json(shopper, espresso.public_id).status_code == 201
    assert_error(post_json(shopper, espresso.public_id, 2), 422, "subject")
    assert post_json(shopper, store.public_id).status_code == 201
    assert_error(post_json(shopper, store.public_id), 422, "subject")
    assert Review.objects.count() == 2


@pytest.mark.parametrize("rating", [0, 6, "x", 4.5, None, ""])
def test_the_rating_is_1_to_5(shopper, espresso, rating):
    assert_error(post_json(shopper, espresso.public_id, rating), 422, "rating")
    if rating is not None:
        assert_error(post_files(shopper, espresso.public_id, [], rating=rating), 422, "rating")
    assert not Review.objects.exists()


def test_a_subject_is_required_and_of_this_store(shopper, other_store):
    rival = factories.ProductFactory(store=other_store)
    for subject in (rival.public_id, other_store.public_id, "product_nope", "customer_x", ""):
        assert_error(post_json(shopper, subject), 422, "subject")
    assert_error(shopper.post(f"{API}/reviews", {"rating": 5}, "json"), 422, "subject")
    assert not Review.objects.exists()


def test_an_inactive_product_takes_no_review(shopper, store):
    retired = factories.ProductFactory(store=store, active=False)
    assert_error(post_json(shopper, retired.public_id), 422, "subject")


def test_reviews_disabled_in_the_store_is_403(shopper, store, espresso):
    store.reviews_enabled = False
    store.save()
    assert_error(post_json(shopper, espresso.public_id), 403)
    # Refused before the body is looked at: a bad rating is still a 403.
    assert_error(post_json(shopper, espresso.public_id, 0), 403)
    assert not Review.objects.exists()


def test_guests_are_403_and_no_token_is_401(api, key, store, espresso):
    guest = someone(store, is_guest=True)
    assert_error(post_json(client_of(key, guest), espresso.public_id), 403)
    assert_error(post_json(api, espresso.public_id), 401)
    assert_error(APIClient().post(f"{API}/reviews", {}, "json"), 401)
    assert not Review.objects.exists()


def test_a_png_is_accepted_and_reencoded_without_exif(shopper, espresso):
    original = png_bytes(exif=True)
    assert b"SpyCam" in original

    response = post_files(shopper, espresso.public_id, [a_file(original, "me.png", "image/png")])

    assert response.status_code == 201, response.content
    body = response.json()
    (item,) = body["media"]
    assert item["id"].startswith("media_") and item["type"] == "photo"
    assert item["url"].startswith("http://testserver/media/reviews/")
    assert item["url"].endswith(".png")
    assert body["photos"] == [item["url"]]
    (data,) = stored_bytes(body["id"])
    assert data != original and b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and not image.getexif()


def test_a_jpeg_loses_its_gps_position(shopper, espresso):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(GPS)

    response = post_files(
        shopper, espresso.public_id, [a_file(original, "IMG_0001.JPG", "image/jpeg")], key="files"
    )

    assert response.status_code == 201, response.content
    (data,) = stored_bytes(response.json()["id"])
    assert b"SpyCam" not in data and b"home address" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif().get_ifd(GPS) and not image.getexif()


def test_a_text_file_named_jpg_is_415(shopper, espresso):
    fake = a_file(b"I am not a photo, whatever my name says.", "beach.jpg", "image/jpeg")
    assert_error(post_files(shopper, espresso.public_id, [fake]), 415)
    assert not Review.objects.exists() and not ReviewMedia.objects.exists()


def test_a_photo_over_the_size_limit_is_413(shopper, espresso, settings):
    settings.REVIEW_PHOTO_MAX_BYTES = 2000
    big = png_bytes((100, 100), noise=True)
    assert len(big) > 2000
    assert_error(post_files(shopper, espresso.public_id, [a_file(big, "big.png")]), 413)
    assert not Review.objects.exists()


def test_a_photo_over_8000_px_a_side_is_413(shopper, espresso):
    wide = a_file(png_bytes((8001, 1)), "panorama.png", "image/png")
    assert_error(post_files(shopper, espresso.public_id, [wide]), 413)
    assert not Review.objects.exists()


def test_mp4_and_webm_videos_are_accepted_as_sent(shopper, espresso):
    files = [
        a_file(mp4_bytes(), "clip.mp4", "video/mp4"),
        a_file(webm_bytes(), "clip.webm", "video/webm"),
        a_file(webp_bytes(), "pic.webp", "image/webp"),
    ]
    response = post_files(shopper, espresso.public_id, files)

    assert response.status_code == 201, response.content
    body = response.json()
    assert [m["type"] for m in body["media"]] == ["video", "video", "photo"]
    assert body["media"][0]["url"].endswith(".mp4") and body["media"][1]["url"].endswith(".webm")
    assert body["photos"] == [body["media"][2]["url"]]
    mp4, webm, _ = stored_bytes(body["id"])
    assert (mp4, webm) == (mp4_bytes(), webm_bytes())


def test_a_video_over_its_limit_is_413(shopper, espresso, settings):
    settings.REVIEW_VIDEO_MAX_BYTES = 1000
    assert_error(post_files(shopper, espresso.public_id, [a_file(mp4_bytes(), "a.mp4")]), 413)


def test_a_sixth_file_is_422_on_files(shopper, espresso):
    files = [a_file(webm_bytes(), f"{n}.webm") for n in range(6)]
    assert_error(post_files(shopper, espresso.public_id, files), 422, "files")
    assert not Review.objects.exists()
    five = [a_file(webm_bytes(), f"{n}.webm") for n in range(5)]
    assert post_files(shopper, espresso.public_id, five).status_code == 201


def test_files_in_json_as_base64_and_data_urls(shopper, espresso):
    files = [
        {"data": base64.b64encode(png_bytes(exif=True)).decode(), "type": "image/png"},
        {"data": "data:video/mp4;base64," + base64.b64encode(mp4_bytes()).decode()},
        {"data": base64.encodebytes(webp_bytes()).decode(), "type": "image/gif"},  # with \n
    ]
    response = post_json(shopper, espresso.public_id, 5, content="Look!", files=files)

    assert response.status_code == 201, response.content
    body = response.json()
    assert [m["type"] for m in body["media"]] == ["photo", "video", "photo"]
    png, mp4, webp = stored_bytes(body["id"])
    assert png.startswith(b"\x89PNG") and b"SpyCam" not in png
    assert mp4 == mp4_bytes() and webp.startswith(b"RIFF")


def test_bad_base64_is_422_and_text_in_base64_is_415(shopper, espresso):
    bad = [{"data": "not base64 at all!", "type": "image/png"}]
    assert_error(post_json(shopper, espresso.public_id, files=bad), 422, "files")
    assert_error(post_json(shopper, espresso.public_id, files="nope"), 422, "files")
    text = [{"data": base64.b64encode(b"hello").decode(), "type": "image/jpeg"}]
    assert_error(post_json(shopper, espresso.public_id, files=text), 415)
    assert not Review.objects.exists()


def test_base64_longer_than_the_largest_file_is_413_before_decoding(
    shopper, espresso, settings, monkeypatch
):
    settings.REVIEW_PHOTO_MAX_BYTES = settings.REVIEW_VIDEO_MAX_BYTES = 1000
    decoded = []
    monkeypatch.setattr(base64, "b64decode", lambda *a, **k: decoded.append(1))
    files = [{"data": "A" * 5000, "type": "video/mp4"}]
    assert_error(post_json(shopper, espresso.public_id, files=files), 413)
    assert decoded == []


def test_a_body_larger_than_any_review_could_be_is_413_before_it_is_read(
    shopper, espresso, settings
):
    settings.REVIEW_PHOTO_MAX_BYTES = settings.REVIEW_VIDEO_MAX_BYTES = 1000
    settings.REVIEW_MAX_FILES = 1
    # Each file is under the limit; all of them are more than 1 file and 1 MB could be.
    files = [{"data": "A" * 1000}] * 1100
    assert_error(post_json(shopper, espresso.public_id, files=files), 413)
    # Under the body limit, the same kind of post is refused for its number of files.
    assert_error(post_json(shopper, espresso.public_id, files=files[:3]), 422, "files")


def test_base64_text_in_a_multipart_form_is_decoded_too(shopper, espresso):
    data = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    response = post_files(shopper, espresso.public_id, [data], key="files[]")
    assert response.status_code == 201, response.content
    assert [m["type"] for m in response.json()["media"]] == ["photo"]


# --- GET reviews ----------------------------------------------------------------------------


@pytest.fixture
def people(store):
    return [someone(store) for _ in range(6)]


def ids(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body, list)
    return [review["id"] for review in body]


def test_the_list_is_a_bare_array_of_the_stores_and_its_products_reviews(
    api, store, other_store, espresso, people
):
    of_product = published(people[0], product=espresso)
    of_store = published(people[1])
    published(someone(other_store))

    response = api.get(f"{API}/reviews")

    assert ids(response) == [of_store.public_id, of_product.public_id]
    assert set(response.json()[0]) == REVIEW_KEYS
    assert ids(api.get(f"{API}/reviews", {"subject": espresso.public_id})) == [of_product.public_id]
    assert ids(api.get(f"{API}/reviews", {"subject": store.public_id})) == [of_store.public_id]


def test_another_stores_subject_is_404(api, other_store):
    rival = factories.ProductFactory(store=other_store)
    for subject in (rival.public_id, other_store.public_id, "product_unknown", "nonsense"):
        assert_error(api.get(f"{API}/reviews", {"subject": subject}), 404)
        assert_error(api.get(f"{API}/reviews/count", {"subject": subject}), 404)


def test_hidden_reviews_never_appear(api, key, store, espresso, people):
    shown = published(people[0], product=espresso, rating=5)
    hidden = published(people[1], product=espresso, rating=1, status=Review.Status.HIDDEN)

    assert ids(api.get(f"{API}/reviews")) == [shown.public_id]
    assert ids(api.get(f"{API}/reviews", {"subject": espresso.public_id})) == [shown.public_id]
    count = api.get(f"{API}/reviews/count", {"subject": espresso.public_id}).json()
    assert (count["count"], count["histogram"]["1"]) == (1, 0)
    assert_error(api.get(f"{API}/reviews/{hidden.public_id}"), 404)
    voter = client_of(key, people[2])
    assert_error(voter.post(f"{API}/reviews/{hidden.public_id}/vote", {"type": "upvote"}), 404)
    assert not ReviewVote.objects.exists()


def test_filter_by_rating(api, store, people):
    five = published(people[0], rating=5)
    published(people[1], rating=3)
    assert ids(api.get(f"{API}/reviews", {"rating": 5})) == [five.public_id]
    for bad in (0, 6, "x"):
        assert_error(api.get(f"{API}/reviews", {"rating": bad}), 422, "rating")


def test_sort_orders(api, store, espresso, people):
    start = timezone.now() - timedelta(days=10)
    first = published(people[0], rating=3, created_at=start, upvotes=1)
    second = published(people[1], product=espresso, rating=5, created_at=start + timedelta(1))
    third = published(people[2], rating=1, created_at=start + timedelta(2), upvotes=5, downvotes=1)
    fourth = published(people[3], product=espresso, rating=4, created_at=start + timedelta(3))
    Review.objects.filter(pk=fourth.pk).update(upvotes=9, downvotes=8)

    reviews = (first, second, third, fourth)
    names = {review.public_id: str(n) for n, review in enumerate(reviews, start=1)}

    def order(sort):
        return "".join(names[i] for i in ids(api.get(f"{API}/reviews", {"sort": sort})))

    assert order("newest") == "4321"
    assert order("oldest") == "1234"
    assert order("highest") == "2413"
    assert order("lowest") == "3142"
    assert order("helpful") == "3412"  # net +4; net +1 with 9 up before net +1 with 1 up; 0
    assert ids(api.get(f"{API}/reviews")) == ids(api.get(f"{API}/reviews", {"sort": "newest"}))
    assert_error(api.get(f"{API}/reviews", {"sort": "random"}), 422, "sort")


def test_limit_and_offset(api, store, people):
    reviews = [published(person) for person in people]
    newest_first = [r.public_id for r in reversed(reviews)]
    assert ids(api.get(f"{API}/reviews", {"limit": 2})) == newest_first[:2]
    assert ids(api.get(f"{API}/reviews", {"limit": 2, "offset": 4})) == newest_first[4:]
    assert_error(api.get(f"{API}/reviews", {"limit": 101}), 422, "limit")


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    api, store, espresso, django_assert_max_num_queries
):
    def with_media(review):
        for position, kind in enumerate(("photo", "video")):
            ReviewMedia.objects.create(
                review=review,
                kind=kind,
                file=f"reviews/{store.pk}/{review.public_id}-{position}.bin",
                content_type="image/png" if kind == "photo" else "video/mp4",
                size=10,
                position=position,
            )

    def queries(limit):
        with CaptureQueriesContext(connection) as context:
            assert len(ids(api.get(f"{API}/reviews", {"limit": limit}))) == limit
        return len(context.captured_queries)

    for _ in range(2):
        with_media(published(someone(store), product=espresso))
    queries(1)  # the key's first use of the minute records it: not part of the list's cost
    few = queries(2)
    for _ in range(28):
        with_media(published(someone(store), product=espresso))
    assert queries(30) == few
    with django_assert_max_num_queries(3):  # the key (with its store), the page, the media
        api.get(f"{API}/reviews", {"limit": 30})


def test_reviews_disabled_still_lists_what_was_published(api, store, people):
    review = published(people[0])
    store.reviews_enabled = False
    store.save()
    assert ids(api.get(f"{API}/reviews")) == [review.public_id]


def test_the_list_needs_the_store_key(store):
    assert_error(APIClient().get(f"{API}/reviews"), 401)


# --- GET reviews/count ----------------------------------------------------------------------


def test_count_of_a_subject_and_of_the_store(api, store, other_store, espresso, people):
    for person, rating in zip(people[:3], (5, 4, 4), strict=True):
        published(person, product=espresso, rating=rating)
    published(people[3], rating=1)
    published(someone(other_store), rating=1)

    of_product = api.get(f"{API}/reviews/count", {"subject": espresso.public_id}).json()
    assert of_product == {
        "count": 3,
        "average": 4.3,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1},
    }
    of_store_itself = api.get(f"{API}/reviews/count", {"subject": store.public_id}).json()
    assert (of_store_itself["count"], of_store_itself["average"]) == (1, 1.0)
    whole_store = api.get(f"{API}/reviews/count", {"store": store.public_id}).json()
    assert whole_store == api.get(f"{API}/reviews/count").json()
    assert (whole_store["count"], whole_store["average"]) == (4, 3.5)
    assert_error(api.get(f"{API}/reviews/count", {"store": other_store.public_id}), 404)


def test_count_of_nothing(api, espresso):
    assert api.get(f"{API}/reviews/count", {"subject": espresso.public_id}).json() == {
        "count": 0,
        "average": None,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }


# --- GET reviews/{id} -----------------------------------------------------------------------


def test_get_one_review(api, store, other_store, espresso, people):
    review = published(people[0], product=espresso, rating=3, content="Fine.")
    rival = published(someone(other_store))

    response = api.get(f"{API}/reviews/{review.public_id}")

    assert response.status_code == 200
    assert response.json()["id"] == review.public_id
    assert response.json()["subject"] == espresso.public_id
    assert_error(api.get(f"{API}/reviews/{rival.public_id}"), 404)
    assert_error(api.get(f"{API}/reviews/review_doesnotexist00"), 404)


# --- DELETE reviews/{id} --------------------------------------------------------------------


def test_the_author_deletes_a_review_and_its_files(
    shopper, key, store, espresso, django_capture_on_commit_callbacks
):
    files = [a_file(png_bytes(), "a.png"), a_file(mp4_bytes(), "b.mp4")]
    review_id = post_files(shopper, espresso.public_id, files).json()["id"]
    names = list(ReviewMedia.objects.values_list("file", flat=True))
    assert len(names) == 2 and all(default_storage.exists(name) for name in names)

    someone_else = client_of(key, someone(store))
    assert_error(someone_else.delete(f"{API}/reviews/{review_id}"), 404)
    assert_error(client_of(key).delete(f"{API}/reviews/{review_id}"), 401)
    assert Review.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = shopper.delete(f"{API}/reviews/{review_id}")

    assert response.status_code == 204
    assert not Review.objects.exists() and not ReviewMedia.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert_error(shopper.delete(f"{API}/reviews/{review_id}"), 404)


def test_the_author_may_delete_a_hidden_review(shopper, customer):
    review = published(customer, status=Review.Status.HIDDEN)
    assert shopper.delete(f"{API}/reviews/{review.public_id}").status_code == 204
    assert not Review.objects.exists()


# --- POST reviews/{id}/vote -----------------------------------------------------------------


@pytest.fixture
def review(people):
    return published(people[0])


def vote(client, review, kind):
    return client.post(f"{API}/reviews/{review.public_id}/vote", {"type": kind}, "json")


def totals(response):
    assert response.status_code == 200, response.content
    return response.json()["upvotes"], response.json()["downvotes"]


def test_vote_change_and_repeat(shopper, key, review, people):
    assert totals(vote(shopper, review, "upvote")) == (1, 0)
    assert totals(vote(shopper, review, "upvote")) == (1, 0)
    assert totals(vote(shopper, review, "downvote")) == (0, 1)
    assert totals(vote(client_of(key, people[1]), review, "downvote")) == (0, 2)
    assert ReviewVote.objects.count() == 2
    assert set(vote(shopper, review, "upvote").json()) == REVIEW_KEYS


def test_no_vote_on_ones_own_review(key, review):
    assert_error(vote(client_of(key, review.author), review, "upvote"), 422)
    assert not ReviewVote.objects.exists()


def test_vote_type_is_upvote_or_downvote(shopper, review):
    assert_error(vote(shopper, review, "sideways"), 422, "type")
    assert_error(shopper.post(f"{API}/reviews/{review.public_id}/vote", {}, "json"), 422, "type")


def test_voting_needs_a_registered_customer_and_reviews_enabled(api, key, store, review):
    assert_error(vote(api, review, "upvote"), 401)
    guest = someone(store, is_guest=True)
    assert_error(vote(client_of(key, guest), review, "upvote"), 403)
    store.reviews_enabled = False
    store.save()
    assert_error(vote(client_of(key, someone(store)), review, "upvote"), 403)
    assert not ReviewVote.objects.exists()


def test_another_stores_review_is_404_to_vote_on(shopper, other_store):
    rival = published(someone(other_store))
    assert_error(vote(shopper, rival, "upvote"), 404)


# --- The catalogue's rating -----------------------------------------------------------------


def test_hiding_a_review_takes_it_out_of_the_products_rating(api, shopper, key, store, espresso):
    post_json(shopper, espresso.public_id, 5)
    post_json(client_of(key, someone(store)), espresso.public_id, 2)
    review = Review.objects.get(rating=2)

    def rating():
        (product,) = api.get(f"{API}/products").json()
        return product["rating"]

    assert rating() == {"average": 3.5, "count": 2}
    services.review_set_status(review=review, status=Review.Status.HIDDEN)
    assert rating() == {"average": 5.0, "count": 1}
    services.review_set_status(review=review, status=Review.Status.PUBLISHED)
    assert rating() == {"average": 3.5, "count": 2}
