"""Every write to reviews: posting (with media), voting, moderating, deleting."""

from django.core.exceptions import ValidationError
from django.db import transaction

from reviews.models import Review


def review_set_status(*, review: Review, status: str, actor_user=None) -> Review:
    """Publish or hide a review (moderation). Hidden reviews never reach the shopper API."""
    if status not in Review.Status.values:
        raise ValidationError({"status": ["Use published or hidden."]})
    Review.objects.filter(pk=review.pk).update(status=status)
    review.status = status
    return review


def review_delete(*, review: Review, actor_user=None) -> None:
    """Delete a review with its votes and media; the media files go once the deletion is
    committed (a rolled-back delete keeps them)."""
    with transaction.atomic():
        files = [
            (media.file.storage, media.file.name) for media in review.media.all() if media.file
        ]
        review.delete()
        for storage, name in files:
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
