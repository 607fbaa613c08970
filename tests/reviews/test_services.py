"""reviews.services, reviews.selectors and reviews.media: posting with checked media, votes
whose counters stay exact under concurrency, and the one-query rating summary."""

import io
import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from PIL import Image

from reviews import media, selectors, services
from reviews.models import Review, ReviewMedia, ReviewVote
from tests import factories
from tests.reviews import videos

pytestmark = pytest.mark.django_db
GPS = 0x8825


def someone(store, **kwargs):
    """Another customer of `store`. Without a phone: the factory's phone sequence reaches the
    `customer` fixture's number (+14155550123) at its 123rd customer."""
    return factories.CustomerFactory(store=store, **{"phone": "", **kwargs})


# --- Real small files -----------------------------------------------------------------------


def png_bytes(size=(40, 30), *, exif=False, noise=False) -> bytes:
    image = Image.new("RGBA", size, (200, 30, 30, 255))
    if noise:
        pixels = random.Random(7).randbytes(size[0] * size[1] * 3)  # does not compress
        image = Image.frombytes("RGB", size, pixels)
    options = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SpyCam"  # Make
        options["exif"] = tags
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def jpeg_with_gps(size=(40, 30)) -> bytes:
    """A JPEG with GPS coordinates, a camera make, an orientation (rotate 90°), a comment and
    XMP."""
    tags = Image.Exif()
    tags[0x010F] = "SpyCam"
    tags[0x0112] = 6
    tags[GPS] = {1: "N", 2: (37.0, 46.0, 30.0), 3: "W", 4: (122.0, 25.0, 10.0)}
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(
        out, "JPEG", exif=tags, comment=b"home address", xmp=b"<x:xmpmeta>Ada's iPhone</x:xmpmeta>"
    )
    return out.getvalue()


def webp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "WEBP")
    return out.getvalue()


def mp4_bytes() -> bytes:
    """A 3-second MP4 assembled by hand (ftyp, moov with mvhd and a track, mdat)."""
    return videos.mp4()


def webm_bytes() -> bytes:
    """A 3-second WebM assembled by hand (EBML header, Segment with Info, Tracks, Cluster)."""
    return videos.webm()


def upload(data: bytes, name="upload.bin") -> ContentFile:
    return ContentFile(data, name=name)


def stored(review) -> list[ReviewMedia]:
    return list(review.media.order_by("position"))


@pytest.fixture
def product(store):
    return factories.ProductFactory(store=store, name="Espresso")


def post(store, author, subject=None, rating=5, **kwargs):
    return services.review_create(
        store=store, author=author, subject=subject, rating=rating, **kwargs
    )


# --- review_create --------------------------------------------------------------------------


def test_a_customer_reviews_a_product_and_the_store(store, customer, product):
    of_product = post(store, customer, product, 4, content="  Rich.  ")
    of_store = post(store, customer, None, 5)

    assert (of_product.subject_type, of_product.product, of_product.rating) == (
        "product",
        product,
        4,
    )
    assert of_product.content == "Rich."
    assert (of_store.subject_type, of_store.product) == ("store", None)
    assert of_product.status == of_store.status == Review.Status.PUBLISHED


@pytest.mark.parametrize("subject", ["product", "store"])
def test_one_review_per_customer_and_subject(store, customer, product, subject):
    target = product if subject == "product" else None
    post(store, customer, target)
    with pytest.raises(ValidationError) as caught:
        post(store, customer, target, 3)
    assert "subject" in caught.value.message_dict
    assert Review.objects.count() == 1


def test_a_hidden_review_still_counts_as_the_customers_one(store, customer, product):
    services.review_set_status(review=post(store, customer, product), status="hidden")
    with pytest.raises(ValidationError):
        post(store, customer, product)


@pytest.mark.parametrize("rating", [0, 6, -1, "5", "x", 4.5, True, None])
def test_the_rating_is_a_whole_number_from_1_to_5(store, customer, rating):
    with pytest.raises(ValidationError) as caught:
        post(store, customer, None, rating)
    assert list(caught.value.message_dict) == ["rating"]


def test_reviews_disabled_in_the_store_are_refused(store, customer):
    store.reviews_enabled = False
    store.save()
    with pytest.raises(services.ReviewsDisabled):
        post(store, customer)


def test_guests_and_closed_accounts_cannot_review(store):
    guest = someone(store, is_guest=True)
    closed = someone(store, closed_at=timezone.now())
    for author in (guest, closed):
        with pytest.raises(services.ReviewNotAllowed):
            post(store, author)
    assert not Review.objects.exists()


def test_another_stores_product_or_customer_is_refused(store, other_store, customer):
    rival = factories.ProductFactory(store=other_store)
    with pytest.raises(ValidationError) as caught:
        post(store, customer, rival)
    assert "subject" in caught.value.message_dict
    with pytest.raises(services.ReviewNotAllowed):
        post(other_store, customer)


def test_media_is_stored_through_the_storage_in_order(store, customer):
    review = post(
        store,
        customer,
        files=[upload(png_bytes(), "a.png"), upload(mp4_bytes(), "b.mov"), upload(webm_bytes())],
    )

    photo, mp4, webm = stored(review)
    assert [m.kind for m in (photo, mp4, webm)] == ["photo", "video", "video"]
    assert [m.content_type for m in (photo, mp4, webm)] == ["image/png", "video/mp4", "video/webm"]
    assert photo.file.name.startswith(f"reviews/{store.pk}/") and photo.file.name.endswith(".png")
    assert mp4.file.name.endswith(".mp4") and webm.file.name.endswith(".webm")
    assert (photo.width, photo.height) == (40, 30)
    assert default_storage.open(mp4.file.name).read() == mp4_bytes()
    assert mp4.size == len(mp4_bytes())


def test_a_failed_post_leaves_no_file_behind(store, customer, monkeypatch):
    saves = []
    real_save = ReviewMedia.save

    def save_then_fail(self, *args, **kwargs):
        saves.append(self.file.name)
        if len(saves) == 2:
            raise RuntimeError("storage went away")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ReviewMedia, "save", save_then_fail)
    with pytest.raises(RuntimeError):
        post(store, customer, files=[upload(png_bytes()), upload(webp_bytes())])

    assert not Review.objects.exists()
    assert len(saves) == 2 and not any(default_storage.exists(name) for name in saves)


def test_an_unsupported_file_refuses_the_whole_review(store, customer):
    with pytest.raises(media.MediaUnsupported):
        post(store, customer, files=[upload(png_bytes()), upload(b"hello", "photo.jpg")])
    assert not Review.objects.exists() and not ReviewMedia.objects.exists()


# --- Media checks ---------------------------------------------------------------------------


def test_a_png_is_reencoded_without_its_exif():
    original = png_bytes(exif=True)
    assert b"SpyCam" in original

    clean = media.media_clean(upload(original, "x.gif"))

    data = clean.content.read()
    assert (clean.kind, clean.content_type, clean.extension) == ("photo", "image/png", "png")
    assert b"SpyCam" not in data and b"eXIf" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (40, 30)
        assert not image.getexif()


def test_a_jpeg_loses_gps_exif_and_comment_and_is_turned_upright():
    original = jpeg_with_gps(size=(40, 30))
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(GPS)

    clean = media.media_clean(upload(original, "x.png"))

    data = clean.content.read()
    assert clean.content_type == "image/jpeg"
    for secret in (b"SpyCam", b"home address", b"Exif", b"iPhone", b"xmpmeta"):
        assert secret in original and secret not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif() and "comment" not in image.info and "xmp" not in image.info
        assert image.size == (30, 40)  # orientation 6 applied to the pixels


def test_webp_photos_are_taken():
    assert media.media_clean(upload(webp_bytes())).content_type == "image/webp"


@pytest.mark.parametrize(
    "data",
    [
        b"This is text with a .jpg name.",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"%PDF-1.7\n" + b"\x00" * 100,
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # an iPhone photo (HEIC)
        b"",
    ],
    ids=["text", "gif", "pdf", "heic", "empty"],
)
def test_anything_else_is_unsupported_whatever_its_name(data):
    with pytest.raises(media.MediaUnsupported):
        media.media_clean(upload(data, "photo.jpg"))


def test_a_truncated_photo_is_unsupported():
    with pytest.raises(media.MediaUnsupported):
        media.media_clean(upload(jpeg_with_gps()[:200], "photo.jpg"))


def test_photos_over_the_byte_limit_are_too_large(settings):
    settings.REVIEW_PHOTO_MAX_BYTES = 1000
    big = png_bytes((100, 100), noise=True)
    assert len(big) > 1000
    with pytest.raises(media.MediaTooLarge):
        media.media_clean(upload(big))
    media.media_clean(upload(png_bytes((4, 4))))


def test_photos_over_8000_px_a_side_are_too_large():
    with pytest.raises(media.MediaTooLarge) as caught:
        media.media_clean(upload(png_bytes((8001, 1))))
    assert "8001" in caught.value.message_dict["files"][0]
    assert media.media_clean(upload(png_bytes((8000, 1)))).width == 8000


def test_videos_over_their_limit_are_too_large(settings):
    settings.REVIEW_VIDEO_MAX_BYTES = 1000
    with pytest.raises(media.MediaTooLarge):
        media.media_clean(upload(mp4_bytes()))
    with pytest.raises(media.MediaTooLarge):
        media.media_clean(upload(webm_bytes()))


def test_at_most_five_files():
    with pytest.raises(ValidationError) as caught:
        media.media_clean_all([upload(webm_bytes()) for _ in range(6)])
    assert "files" in caught.value.message_dict
    assert not isinstance(caught.value, media.MediaTooLarge | media.MediaUnsupported)
    assert len(media.media_clean_all([upload(webm_bytes()) for _ in range(5)])) == 5


# --- review_vote ----------------------------------------------------------------------------


@pytest.fixture
def review(store):
    return factories.ReviewFactory(author=someone(store))


def counts(review):
    review.refresh_from_db()
    return review.upvotes, review.downvotes


def test_a_vote_counts_and_can_be_changed(review, customer):
    assert services.review_vote(review=review, customer=customer, value=1).upvotes == 1
    assert counts(review) == (1, 0)
    services.review_vote(review=review, customer=customer, value=-1)
    assert counts(review) == (0, 1)
    assert ReviewVote.objects.get().value == -1


def test_the_same_vote_again_changes_nothing(review, customer):
    services.review_vote(review=review, customer=customer, value=1)
    again = services.review_vote(review=review, customer=customer, value=1)
    assert (again.upvotes, again.downvotes) == (1, 0)
    assert ReviewVote.objects.count() == 1


def test_votes_of_several_customers_add_up(review, store):
    for value in (1, 1, -1):
        services.review_vote(review=review, customer=someone(store), value=value)
    assert counts(review) == (2, 1)


def test_no_vote_on_ones_own_review(review):
    with pytest.raises(ValidationError):
        services.review_vote(review=review, customer=review.author, value=1)
    assert counts(review) == (0, 0)


@pytest.mark.parametrize("value", [0, 2, True, "1"])
def test_a_vote_is_plus_or_minus_one(review, customer, value):
    with pytest.raises(ValidationError):
        services.review_vote(review=review, customer=customer, value=value)


def test_guests_and_other_stores_customers_cannot_vote(review, store, other_store):
    guest = someone(store, is_guest=True)
    stranger = someone(other_store)
    for voter in (guest, stranger):
        with pytest.raises(services.ReviewNotAllowed):
            services.review_vote(review=review, customer=voter, value=1)
    assert not ReviewVote.objects.exists()


def test_no_vote_on_a_hidden_review(review, customer):
    services.review_set_status(review=review, status="hidden")
    with pytest.raises(ValidationError):
        services.review_vote(review=review, customer=customer, value=1)


@pytest.mark.django_db(transaction=True)
def test_counters_stay_exact_under_concurrent_votes(store):
    """20 customers vote at once; half of them change their minds at once too."""
    review = factories.ReviewFactory(author=someone(store))
    voters = [someone(store) for _ in range(20)]
    barrier = threading.Barrier(len(voters))
    failures = []

    def vote(index, voter):
        try:
            barrier.wait(timeout=30)
            services.review_vote(review=review, customer=voter, value=1)
            if index % 2:
                services.review_vote(review=review, customer=voter, value=-1)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=pair) for pair in enumerate(voters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert ReviewVote.objects.filter(review=review).count() == 20
    assert counts(review) == (10, 10)


# --- Selectors ------------------------------------------------------------------------------


def make_review(author, *, product=None, rating=5, status=Review.Status.PUBLISHED):
    return factories.ReviewFactory(
        author=author,
        subject_type="product" if product else "store",
        product=product,
        rating=rating,
        status=status,
    )


def test_reviews_for_a_subject_are_its_published_ones(store, other_store, product):
    people = [someone(store) for _ in range(3)]
    of_product = make_review(people[0], product=product)
    of_store = make_review(people[1])
    make_review(people[2], product=product, status=Review.Status.HIDDEN)
    make_review(someone(other_store))

    assert set(selectors.reviews_for(store)) == {of_product, of_store}
    assert list(selectors.reviews_for(store, product)) == [of_product]
    assert list(selectors.reviews_for(store, store)) == [of_store]
    assert list(selectors.reviews_for(store, other_store)) == []
    assert list(selectors.reviews_for(other_store, product)) == []
    assert len(selectors.reviews_for(store, product, published_only=False)) == 2


def test_the_rating_summary_is_one_aggregate_query(store, django_assert_num_queries):
    for rating in (5, 5, 4, 1):
        make_review(someone(store), rating=rating)
    make_review(someone(store), rating=1, status=Review.Status.HIDDEN)

    with django_assert_num_queries(1):
        summary = selectors.rating_summary(selectors.reviews_for(store))

    assert summary == {
        "count": 4,
        "average": 3.8,
        "histogram": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2},
    }


def test_the_rating_summary_of_nothing(store):
    assert selectors.rating_summary(selectors.reviews_for(store)) == {
        "count": 0,
        "average": None,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }


# --- review_delete --------------------------------------------------------------------------


def test_deleting_a_review_removes_its_files_once_committed(
    store, customer, django_capture_on_commit_callbacks
):
    review = post(store, customer, files=[upload(png_bytes()), upload(mp4_bytes())])
    names = [item.file.name for item in stored(review)]
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        services.review_delete(review=review)

    assert not Review.objects.exists() and not ReviewMedia.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_a_customer_deletes_only_their_own_review(store, customer):
    review = post(store, customer)
    with pytest.raises(services.ReviewNotAllowed):
        services.review_delete(review=review, actor_customer=someone(store))
    assert Review.objects.filter(pk=review.pk).exists()
    assert not customer.events.filter(type="review_deleted").exists()
