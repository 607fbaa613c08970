"""Reviews in Django admin: moderation.

Customers write reviews and vote on them; staff hide or publish a review and remove a media
file that should not be shown. Reviews are hidden rather than deleted, and votes (which the
review's up/down counters sum) are never edited here. Hiding and publishing go through
reviews.services, which puts them on the author's timeline with the admin who did it.
"""

from django.contrib import admin, messages
from django.db import transaction

from reviews.models import Review, ReviewMedia, ReviewVote
from reviews.services import review_set_status, reviews_set_status
from stores.admin import ReadOnlyAdminMixin

MEDIA_FIELDS = [
    "public_id",
    "kind",
    "file",
    "content_type",
    "size",
    "width",
    "height",
    "position",
    "created_at",
]


def _delete_files_on_commit(media_items) -> None:
    """Remove the stored files of deleted media once the deletion is committed."""
    for media in media_items:
        if media.file:
            storage, name = media.file.storage, media.file.name
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


class RatingFilter(admin.SimpleListFilter):
    """The five ratings, without the DISTINCT scan Django runs for a plain integer field."""

    title = "rating"
    parameter_name = "rating"

    def lookups(self, request, model_admin):
        return [(str(stars), "★" * stars) for stars in range(5, 0, -1)]

    def queryset(self, request, queryset):
        return queryset.filter(rating=self.value()) if self.value() else queryset


class ReviewMediaInline(admin.TabularInline):
    model = ReviewMedia
    fields = MEDIA_FIELDS
    readonly_fields = [field for field in MEDIA_FIELDS if field != "position"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False  # media arrives with the review, checked by content and size


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "subject",
        "author",
        "store",
        "rating",
        "status",
        "upvotes",
        "downvotes",
        "created_at",
    ]
    list_filter = ["status", RatingFilter, "subject_type", "store"]
    list_select_related = ["store", "author", "product"]
    search_fields = ["=public_id", "=author__email", "content"]
    search_help_text = "A review's public id, its author's email, or words of its text."
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "store",
        "public_id",
        "author",
        "subject_type",
        "product",
        "rating",
        "content",
        "status",
        "upvotes",
        "downvotes",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [field for field in fields if field != "status"]
    inlines = [ReviewMediaInline]
    actions = ["hide_reviews", "publish_reviews"]

    @admin.display(description="Subject")
    def subject(self, review):
        return review.product if review.product_id else "the store"

    def has_add_permission(self, request):
        return False  # a review is a customer's word

    def has_delete_permission(self, request, obj=None):
        return False  # hide instead: the author and the counters keep their history

    def save_model(self, request, obj, form, change):
        # Status is the only field the form edits (a review is never added here).
        if "status" in form.changed_data:
            review_set_status(review=obj, status=obj.status, actor_user=request.user)

    def save_formset(self, request, form, formset, change):
        formset.save()
        _delete_files_on_commit(formset.deleted_objects)

    def _set_status(self, request, queryset, status) -> None:
        updated = reviews_set_status(
            reviews=queryset.select_related("author", "product"),
            status=status,
            actor_user=request.user,
        )
        label = Review.Status(status).label.lower()
        self.message_user(request, f"{updated} review(s) {label}.", messages.SUCCESS)

    @admin.action(description="Hide selected reviews", permissions=["change"])
    def hide_reviews(self, request, queryset):
        self._set_status(request, queryset, Review.Status.HIDDEN)

    @admin.action(description="Publish selected reviews", permissions=["change"])
    def publish_reviews(self, request, queryset):
        self._set_status(request, queryset, Review.Status.PUBLISHED)


@admin.register(ReviewMedia)
class ReviewMediaAdmin(admin.ModelAdmin):
    list_display = ["public_id", "review", "kind", "content_type", "size", "position", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["review"]
    search_fields = ["=public_id", "=review__public_id"]
    show_full_result_count = False
    fields = ["review", *MEDIA_FIELDS]
    readonly_fields = [field for field in fields if field != "position"]

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _delete_files_on_commit([obj])

    def delete_queryset(self, request, queryset):
        media = list(queryset)
        super().delete_queryset(request, queryset)
        _delete_files_on_commit(media)


@admin.register(ReviewVote)
class ReviewVoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["review", "customer", "value", "created_at"]
    list_select_related = ["review", "customer"]
    search_fields = ["=review__public_id"]
    show_full_result_count = False
    fields = ["review", "customer", "value", "created_at", "updated_at"]
    readonly_fields = fields
