from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from stores.identifiers import new_public_id
from stores.models import Product, Store


def review_public_id():
    return new_public_id("review")


def media_public_id():
    return new_public_id("media")


def review_media_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"reviews/{instance.review.store_id}/{new_public_id('file')}.{ext}"


class Review(models.Model):
    """A 1–5 star review of one subject: a product of the store, or the store itself."""

    class Subject(models.TextChoices):
        PRODUCT = "product", "Product"
        STORE = "store", "Store"

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reviews")
    public_id = models.CharField(
        max_length=40, unique=True, default=review_public_id, editable=False
    )
    author = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reviews")
    subject_type = models.CharField(max_length=16, choices=Subject.choices)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews"
    )
    # A review of a network's member store (subject "store"); null when the subject is the
    # account itself (a store reviewed with its own key, or the network).
    reviewed_store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="store_reviews"
    )
    rating = models.PositiveSmallIntegerField()
    content = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    upvotes = models.PositiveIntegerField(default=0)
    downvotes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="review_rating_1_to_5",
                violation_error_message="The rating must be from 1 to 5.",
            ),
            # Exactly one subject: a product, or (no product) the store.
            models.CheckConstraint(
                condition=Q(subject_type="product", product__isnull=False)
                | Q(subject_type="store", product__isnull=True),
                name="review_exactly_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(subject_type="store") | Q(reviewed_store__isnull=True),
                name="review_reviewed_store_only_for_stores",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["published", "hidden"]), name="review_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(upvotes__gte=0) & Q(downvotes__gte=0), name="review_votes_not_negative"
            ),
            models.UniqueConstraint(
                fields=["author", "product"],
                condition=Q(product__isnull=False),
                name="review_one_per_product",
            ),
            models.UniqueConstraint(
                fields=["author", "store"],
                condition=Q(subject_type="store", reviewed_store__isnull=True),
                name="review_one_per_store",
            ),
            models.UniqueConstraint(
                fields=["author", "reviewed_store"],
                condition=Q(reviewed_store__isnull=False),
                name="review_one_per_member_store",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"], name="review_store_status"),
            models.Index(fields=["product", "status", "-created_at"], name="review_product_status"),
        ]

    def __str__(self):
        return f"{self.rating}★ by {self.author_id}"


class ReviewMedia(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        VIDEO = "video", "Video"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="media")
    public_id = models.CharField(
        max_length=40, unique=True, default=media_public_id, editable=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=review_media_path, max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "review media"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["photo", "video"]), name="reviewmedia_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.kind} of review {self.review_id}"


class ReviewVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="review_votes")
    value = models.SmallIntegerField(help_text="+1 helpful, −1 not helpful")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "customer"], name="reviewvote_one_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(value__in=[1, -1]), name="reviewvote_value_plus_minus_one"
            ),
        ]

    def __str__(self):
        return f"{self.value:+d} on {self.review_id}"
