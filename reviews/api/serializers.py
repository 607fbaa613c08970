"""The shopper API's review shapes (wire-compatible with Fleetbase) and what a post sends."""

import base64
import binascii
import re
from urllib.parse import urljoin

from django.conf import settings
from django.core.files.base import ContentFile
from rest_framework import exceptions, serializers, status

from reviews import media
from reviews.models import Review, ReviewMedia
from reviews.selectors import SORTS
from reviews.services import CONTENT_MAX_LENGTH


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "too_large"


class UnsupportedMedia(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = media.UNSUPPORTED
    default_code = "unsupported_media"


def absolute_url(request, url: str) -> str:
    """`url` on the host the request came to; without a request (a webhook's payload), on
    SITE_URL."""
    if request is not None:
        return request.build_absolute_uri(url)
    return urljoin(settings.SITE_URL, url)


class ReviewCustomerSerializer(serializers.Serializer):
    """Who wrote a review: never their email or phone."""

    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    photo_url = serializers.SerializerMethodField()

    def get_photo_url(self, customer) -> str | None:
        if not customer.photo:
            return None
        return absolute_url(self.context.get("request"), customer.photo.url)


class ReviewMediaSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    type = serializers.ChoiceField(source="kind", choices=ReviewMedia.Kind.choices)
    url = serializers.SerializerMethodField()

    def get_url(self, item) -> str:
        return absolute_url(self.context.get("request"), item.file.url)


class ReviewSerializer(serializers.ModelSerializer):
    """A published review of a product or of the store."""

    # Rows come from reviews.selectors.reviews_for: store, author, product and media loaded.

    id = serializers.CharField(source="public_id")
    subject = serializers.SerializerMethodField(help_text="The `product_…` or `store_…` id.")
    photos = serializers.SerializerMethodField()
    media = ReviewMediaSerializer(many=True)
    customer = ReviewCustomerSerializer(source="author")

    class Meta:
        model = Review
        fields = [
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
        ]
        read_only_fields = fields

    def get_subject(self, review) -> str:
        if review.product_id:
            return review.product.public_id
        return (review.reviewed_store or review.store).public_id

    def get_photos(self, review) -> list[str]:
        request = self.context.get("request")
        return [
            absolute_url(request, item.file.url)
            for item in review.media.all()
            if item.kind == ReviewMedia.Kind.PHOTO
        ]


class RatingSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True, help_text="One decimal; null if none.")
    histogram = serializers.DictField(
        child=serializers.IntegerField(), help_text='Reviews per star: {"1": n, ..., "5": n}.'
    )


class ReviewQuerySerializer(serializers.Serializer):
    subject = serializers.CharField(
        required=False,
        max_length=60,
        help_text="A `product_…` or `store_…` id; without it, the store's and its products'.",
    )
    rating = serializers.IntegerField(required=False, min_value=1, max_value=5)
    sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="newest")


class ReviewCountQuerySerializer(serializers.Serializer):
    store = serializers.CharField(
        required=False, max_length=60, help_text="The store's id: all its reviews."
    )
    subject = serializers.CharField(
        required=False, max_length=60, help_text="A `product_…` or `store_…` id."
    )


class ReviewPostSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=60, help_text="A `product_…` or `store_…` id.")
    rating = serializers.IntegerField(min_value=1, max_value=5)
    content = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CONTENT_MAX_LENGTH
    )


class ReviewMultipartSerializer(ReviewPostSerializer):
    """A review posted as a multipart form; files as `files[]` (or `files`)."""

    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=media.DEFAULTS["REVIEW_MAX_FILES"],
        help_text="Up to 5 JPEG/PNG/WebP photos (10 MB, 8,000 px a side) or MP4/WebM videos "
        "(50 MB), as `files[]` or `files`.",
    )


class VoteSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["upvote", "downvote"])


class Base64FileSerializer(serializers.Serializer):
    data = serializers.CharField(help_text="The file in base64, or a data URL.")
    type = serializers.CharField(
        required=False, help_text="The MIME type (the content decides, not this)."
    )


class ReviewJsonSerializer(ReviewPostSerializer):
    """A review posted in JSON; files in base64, as Fleetbase clients send them."""

    files = Base64FileSerializer(many=True, required=False)


MULTIPART_KEY = re.compile(r"^files(\[\d*\])?$")
DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+(;[\w.+-]+=[\w.+-]+)*;base64,", re.IGNORECASE)
NOT_BASE64 = "Send each file as base64 (or a base64 data URL) in `data`."


def uploaded_files(request) -> list:
    """The files of a review post: multipart `files[]`/`files` (or `files[0]`...), or JSON
    `files: [{"data": base64 or data URL, "type": mime}]`. Base64 longer than the largest file
    allowed is refused (413) before it is decoded."""
    if hasattr(request.data, "getlist"):  # multipart (files, or base64 text) or a form
        items = [
            item
            for key in request.data
            if MULTIPART_KEY.match(key)
            for item in request.data.getlist(key)
        ]
    else:
        items = request.data.get("files") or []
        if not isinstance(items, list):
            raise exceptions.ValidationError({"files": ["Send a list of files."]})
    return [item if hasattr(item, "read") else _decoded(item) for item in items]


def _decoded(item) -> ContentFile:
    data = item.get("data") if isinstance(item, dict) else item
    if not isinstance(data, str):
        raise exceptions.ValidationError({"files": [NOT_BASE64]})
    if len(data) > media.base64_max_chars(media.largest_file_bytes()):
        raise PayloadTooLarge(
            f"A file is too large; the limit is {media.largest_file_bytes() / media.MB:.0f} MB."
        )
    data = "".join(DATA_URL.sub("", data.strip(), count=1).split())
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise exceptions.ValidationError({"files": [NOT_BASE64]}) from exc
    return ContentFile(content, name="upload")
