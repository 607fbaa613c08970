"""Reads of reviews that the shopper API and the console share."""

from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from customers.selectors import days_span
from reviews.models import Review, ReviewMedia
from stores.models import Product, Store

SORTS = {
    "newest": ["-created_at", "-id"],
    "oldest": ["created_at", "id"],
    "highest": ["-rating", "-created_at", "-id"],
    "lowest": ["rating", "-created_at", "-id"],
    "helpful": ["-helpfulness", "-upvotes", "-created_at", "-id"],
}


def reviews_for(
    store: Store, subject: Product | Store | None = None, *, published_only: bool = True
) -> QuerySet[Review]:
    """The store's published reviews of `subject`: a product of the store, the store itself
    (reviews of the store, not of its products), or None (the store's and its products').
    A subject of another store gives none. Authors, products and media come along, so a page
    costs the same few queries whatever its size."""
    reviews = Review.objects.filter(store=store)
    if published_only:
        reviews = reviews.filter(status=Review.Status.PUBLISHED)
    if isinstance(subject, Product):
        reviews = reviews.filter(product=subject)
    elif isinstance(subject, Store):
        if subject.pk == store.pk:
            reviews = reviews.filter(subject_type=Review.Subject.STORE, reviewed_store=None)
        elif subject.network_id == store.pk:  # a network's member store
            reviews = reviews.filter(reviewed_store=subject)
        else:
            return reviews.none()
    elif subject is not None:
        raise TypeError("A review's subject is a Product, a Store or None.")
    return reviews.select_related("store", "author", "product", "reviewed_store").prefetch_related(
        Prefetch("media", queryset=ReviewMedia.objects.order_by("position", "id"))
    )


def reviews_sorted(reviews: QuerySet[Review], sort: str = "newest") -> QuerySet[Review]:
    """newest | oldest | highest | lowest | helpful (most upvotes net of downvotes first)."""
    if sort == "helpful":
        reviews = reviews.annotate(helpfulness=F("upvotes") - F("downvotes"))
    return reviews.order_by(*SORTS[sort])


def review_list_for_console(*, store: Store, filters: dict) -> QuerySet[Review]:
    """The console's list: the store's reviews, hidden ones too, narrowed by `filters` as
    ReviewFilterForm.filters() gives them: "q" (words of the text, all of them), "status",
    "rating", "subject" ("store", or a product's pk), "media" ("yes": with photos or videos,
    "no": text only), "created_from"/"created_to" (days in the store's time zone, both
    included; an inverted range lists nothing), "sort" (a SORTS key; newest first without).
    Authors, products and media come with the page: the same queries for any page size."""
    reviews = reviews_for(store, published_only=False)
    for word in filters.get("q", "").split():
        reviews = reviews.filter(content__icontains=word)
    if filters.get("status"):
        reviews = reviews.filter(status=filters["status"])
    if filters.get("rating"):
        reviews = reviews.filter(rating=filters["rating"])
    subject = filters.get("subject")
    if subject == Review.Subject.STORE:
        reviews = reviews.filter(subject_type=Review.Subject.STORE)
    elif subject:
        reviews = reviews.filter(product_id=int(subject))
    has_media = Exists(ReviewMedia.objects.filter(review=OuterRef("pk")))
    if filters.get("media") == "yes":
        reviews = reviews.filter(has_media)
    elif filters.get("media") == "no":
        reviews = reviews.filter(~has_media)
    created_from, created_until = days_span(
        store, filters.get("created_from"), filters.get("created_to")
    )
    if created_from is not None:
        reviews = reviews.filter(created_at__gte=created_from)
    if created_until is not None:
        reviews = reviews.filter(created_at__lt=created_until)
    return reviews_sorted(reviews, filters.get("sort") or "newest")


def review_subject_find(store: Store, public_id: str) -> Product | Store | None:
    """`product_…` (a product of the store; of a network: of its member stores) or the store
    itself (of a network: the network, or a member store by its `store_…` id); None otherwise."""
    if public_id == store.public_id:
        return store
    if public_id.startswith("product_"):
        products = Product.objects.filter(public_id=public_id).select_related("store")
        if store.is_network:
            return products.filter(store__network=store).first()
        return products.filter(store=store).first()
    if store.is_network and public_id.startswith("store_"):
        return Store.objects.filter(public_id=public_id, network=store).first()
    return None


def rating_summary(reviews: QuerySet[Review]) -> dict:
    """{"count", "average" (one decimal, or None), "histogram": {"1": n, ..., "5": n}} of
    `reviews`, from one aggregate query."""
    per_star = {f"stars_{stars}": Count("pk", filter=Q(rating=stars)) for stars in range(1, 6)}
    totals = reviews.order_by().aggregate(count=Count("pk"), average=Avg("rating"), **per_star)
    average = totals["average"]
    return {
        "count": totals["count"],
        "average": round(float(average), 1) if average is not None else None,
        "histogram": {str(stars): totals[f"stars_{stars}"] for stars in range(1, 6)},
    }
