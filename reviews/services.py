"""Every write to reviews: posting (with media), voting, moderating, deleting. Posting,
publishing, hiding and deleting are lines of the author's timeline, with who did it."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, CustomerEvent
from customers.services import event_record
from reviews.media import media_clean_all
from reviews.models import Review, ReviewMedia, ReviewVote
from stores.events import event_emit
from stores.models import Product, Store

CONTENT_MAX_LENGTH = 5000
_ALREADY_REVIEWED = "You have already reviewed this."


class ReviewsDisabled(PermissionDenied):
    """The store does not take reviews (the API answers 403)."""


class ReviewNotAllowed(PermissionDenied):
    """This customer may not do this (a guest, a closed account, another store's customer)."""


def review_author_check(*, store: Store, author: Customer) -> None:
    """Refuse, before anything is parsed, a review the store or the customer cannot post."""
    if not store.reviews_enabled:
        raise ReviewsDisabled("This store does not take reviews.")
    _customer_check(store=store, customer=author, action="review")


def _customer_check(*, store: Store, customer: Customer, action: str) -> None:
    if customer.store_id != store.pk:
        raise ReviewNotAllowed(f"Only the store's customers can {action}.")
    if customer.is_guest:
        raise ReviewNotAllowed(f"Guest customers cannot {action}; register an account first.")
    if customer.is_closed:
        raise ReviewNotAllowed("This account is closed.")


def _rating_clean(rating) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": ["Give a whole number of stars from 1 to 5."]})
    return rating


def _already_reviewed(
    *, store: Store, author: Customer, product: Product | None, reviewed_store: Store | None = None
) -> bool:
    reviews = Review.objects.filter(author=author, store=store)
    if product is not None:
        return reviews.filter(product=product).exists()
    return reviews.filter(subject_type=Review.Subject.STORE, reviewed_store=reviewed_store).exists()


def _event(review: Review, type: CustomerEvent.Type, **actor) -> None:
    """A line of the author's timeline about `review`, kept readable after a deletion."""
    event_record(
        customer=review.author,
        type=type,
        data={
            "review": review.public_id,
            "rating": review.rating,
            "subject": review.product.name
            if review.product_id
            else (review.reviewed_store.name if review.reviewed_store_id else "the store"),
        },
        **actor,
    )


def review_create(
    *,
    store: Store,
    author: Customer,
    subject: Product | None,
    rating: int,
    content: str = "",
    files=(),
) -> Review:
    """Post `author`'s review of `subject` (a product of the store, or None for the store).

    Guarantees: the store takes reviews and the author is one of its registered, open
    customers (else PermissionDenied); one review per author and subject, a rating of 1–5
    (else ValidationError on "subject"/"rating"); every file checked by content and photos
    re-encoded without metadata (media.MediaUnsupported, media.MediaTooLarge). The review, its
    media and the line on the author's timeline (posted by the customer) are written in one
    transaction; a failure leaves no stored file behind.
    """
    review_author_check(store=store, author=author)
    rating = _rating_clean(rating)
    reviewed_store = None
    if isinstance(subject, Store):
        if subject.pk != store.pk:
            # A network's shopper may review one of its member stores.
            if subject.network_id is None or subject.network_id != store.pk:
                raise ValidationError({"subject": ["No such store in this network."]})
            reviewed_store = subject
        subject = None
    if subject is not None and (
        not isinstance(subject, Product)
        or store.pk not in (subject.store_id, subject.store.network_id)
        or not subject.active
    ):
        raise ValidationError({"subject": ["No such product in this store."]})
    content = (content or "").strip()
    if len(content) > CONTENT_MAX_LENGTH:
        raise ValidationError(
            {
                "content": [
                    f"A review has at most {CONTENT_MAX_LENGTH} characters; "
                    f"this one has {len(content)}."
                ]
            }
        )
    if _already_reviewed(
        store=store, author=author, product=subject, reviewed_store=reviewed_store
    ):
        raise ValidationError({"subject": [_ALREADY_REVIEWED]})
    # Decoding and re-encoding images is slow: done before the transaction takes its locks.
    media = media_clean_all(files)

    stored = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    review = Review.objects.create(
                        store=store,
                        author=author,
                        subject_type=Review.Subject.PRODUCT if subject else Review.Subject.STORE,
                        product=subject,
                        reviewed_store=reviewed_store,
                        rating=rating,
                        content=content,
                    )
            except IntegrityError as exc:  # the same review posted twice at once
                raise ValidationError({"subject": [_ALREADY_REVIEWED]}) from exc
            for position, item in enumerate(media):
                row = ReviewMedia(
                    review=review,
                    kind=item.kind,
                    content_type=item.content_type,
                    size=item.size,
                    width=item.width,
                    height=item.height,
                    position=position,
                )
                # Through the storage API: S3 (or any backend) is a matter of settings.
                row.file.save(f"{item.kind}.{item.extension}", item.content, save=False)
                stored.append((row.file.storage, row.file.name))
                row.save()
            _event(review, CustomerEvent.Type.REVIEW_POSTED, actor_customer=author)
            event_emit(store=store, type="review.created", obj=review)
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise
    return review


def review_vote(*, review: Review, customer: Customer, value: int) -> Review:
    """Record `customer`'s vote (+1 helpful, −1 not helpful) on a published review.

    One vote per customer: voting again changes it, the same vote again changes nothing; never
    on one's own review. The review's upvotes/downvotes are recounted from the vote rows while
    its row is locked, so they stay exact whatever votes arrive at the same time.
    """
    if value not in (1, -1) or isinstance(value, bool):
        raise ValidationError({"value": ["Vote +1 (helpful) or -1 (not helpful)."]})
    _customer_check(store=review.store, customer=customer, action="vote")
    if not review.store.reviews_enabled:
        raise ReviewsDisabled("This store does not take reviews.")
    if review.author_id == customer.pk:
        raise ValidationError("You cannot vote on your own review.")

    with transaction.atomic():
        # The lock comes first: a vote written by a transaction we waited for is then visible
        # to our recount (PostgreSQL READ COMMITTED takes a new snapshot per statement).
        locked = (
            Review.objects.select_for_update()
            .filter(pk=review.pk, status=Review.Status.PUBLISHED)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            raise ValidationError("This review is not published.")
        vote = ReviewVote.objects.filter(review=review, customer=customer).first()
        if vote is None:
            ReviewVote.objects.create(review=review, customer=customer, value=value)
        elif vote.value != value:
            ReviewVote.objects.filter(pk=vote.pk).update(value=value)
        else:
            return _with_counts(review)
        Review.objects.filter(pk=review.pk).update(upvotes=_votes(1), downvotes=_votes(-1))
    return _with_counts(review)


def _votes(value: int):
    counted = (
        ReviewVote.objects.filter(review=OuterRef("pk"), value=value)
        .order_by()
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0))


def _with_counts(review: Review) -> Review:
    review.upvotes, review.downvotes = Review.objects.filter(pk=review.pk).values_list(
        "upvotes", "downvotes"
    )[0]
    return review


# --- Moderation -----------------------------------------------------------------------------

STATUS_EVENTS = {
    Review.Status.PUBLISHED: CustomerEvent.Type.REVIEW_PUBLISHED,
    Review.Status.HIDDEN: CustomerEvent.Type.REVIEW_HIDDEN,
}


def review_set_status(*, review: Review, status: str, actor_user=None) -> bool:
    """Publish or hide a review (moderation) and put it on its author's timeline with the staff
    member who did it. A review that already has `status` is left alone and nothing is recorded.
    Returns whether it changed. Hidden reviews never reach the shopper API."""
    if status not in Review.Status.values:
        raise ValidationError({"status": ["Use published or hidden."]})
    with transaction.atomic():
        changed = (
            Review.objects.filter(pk=review.pk)
            .exclude(status=status)
            .update(status=status, updated_at=timezone.now())
        )
        review.status = status
        if changed:
            _event(review, STATUS_EVENTS[status], actor_user=actor_user)
            event_emit(store=review.store_id, type=f"review.{status}", obj=review)
    return bool(changed)


def reviews_set_status(*, reviews: Iterable[Review], status: str, actor_user=None) -> int:
    """review_set_status for each of `reviews`, in one transaction (one timeline line each);
    how many changed. Load them with their author and product to spare a query each."""
    with transaction.atomic():
        return sum(
            review_set_status(review=review, status=status, actor_user=actor_user)
            for review in reviews
        )


def review_delete(
    *, review: Review, actor_user=None, actor_customer: Customer | None = None
) -> None:
    """Delete a review with its votes and media, and put it on its author's timeline with who
    did it: a staff member (`actor_user`) or the author (`actor_customer`; nobody else's). The
    media files go once the deletion is committed (a rolled-back delete keeps them)."""
    if actor_customer is not None and actor_customer.pk != review.author_id:
        raise ReviewNotAllowed("Only its author can delete a review.")
    with transaction.atomic():
        files = [
            (media.file.storage, media.file.name) for media in review.media.all() if media.file
        ]
        _event(
            review,
            CustomerEvent.Type.REVIEW_DELETED,
            actor_user=actor_user,
            actor_customer=actor_customer,
        )
        # Built while the review is still there: the payload is the review as deleted.
        event_emit(store=review.store_id, type="review.deleted", obj=review)
        review.delete()
        for storage, name in files:
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


def reviews_delete(*, reviews: Iterable[Review], actor_user=None) -> int:
    """review_delete for each of `reviews`, in one transaction; how many were deleted."""
    with transaction.atomic():
        count = 0
        for review in reviews:
            review_delete(review=review, actor_user=actor_user)
            count += 1
        return count
