"""Shopper API: product and store reviews. Views parse and answer; reviews.services decides.

Hidden reviews never appear: not in a list, a count or a get, and voting on one is a 404.
With reviews disabled in the store, posting and voting are refused (403) while the published
reviews can still be read (`about` tells an app whether to show the review form).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from customers.api.base import PageSerializer, StorefrontView, page_of
from customers.api.permissions import HasCustomer
from customers.api.views import valid
from reviews import media, selectors, services
from reviews.api import serializers as api
from reviews.models import Review
from stores.api.limits import upload_body_bytes

NOT_FOUND = OpenApiResponse(description="No such published review in this store.")
INVALID = OpenApiResponse(description="Validation failed: `errors`, and `fields` per field.")
NO_TOKEN = OpenApiResponse(description="No (or an invalid) key or Customer-Token.")
REFUSED = OpenApiResponse(
    description="Reviews are disabled in the store, or the customer is a guest."
)
TAGS = ["Reviews"]
VOTES = {"upvote": 1, "downvote": -1}


def review_answer(request, store, review, *, status_code=200):
    """The review as the API shows it, read again with its author and media."""
    review = selectors.reviews_for(store, published_only=False).get(pk=review.pk)
    return Response(api.ReviewSerializer(review, context={"request": request}).data, status_code)


def refused(exc: DjangoPermissionDenied) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(exc) or None)


class ReviewListView(StorefrontView):
    max_body_bytes = staticmethod(upload_body_bytes)  # files, in multipart or base64

    def get_permissions(self):
        return [HasCustomer()] if self.request.method == "POST" else []

    def subject(self, public_id):
        subject = selectors.review_subject_find(self.store, public_id)
        if subject is None:
            raise exceptions.NotFound("No such product or store.")
        return subject

    @extend_schema(
        parameters=[api.ReviewQuerySerializer, PageSerializer],
        responses={200: api.ReviewSerializer(many=True), 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def get(self, request):
        """Published reviews of a product or of the store (without `subject`: the store's and
        its products'), newest first unless `sort` says otherwise."""
        query = valid(api.ReviewQuerySerializer, request.query_params)
        subject = self.subject(query["subject"]) if query.get("subject") else None
        reviews = selectors.reviews_for(self.store, subject)
        if query.get("rating"):
            reviews = reviews.filter(rating=query["rating"])
        reviews = page_of(request, selectors.reviews_sorted(reviews, query["sort"]))
        return Response(api.ReviewSerializer(reviews, many=True, context={"request": request}).data)

    @extend_schema(
        request={
            "multipart/form-data": api.ReviewMultipartSerializer,
            "application/json": api.ReviewJsonSerializer,
        },
        responses={
            201: api.ReviewSerializer,
            401: NO_TOKEN,
            403: REFUSED,
            413: OpenApiResponse(description="A file is over its size or pixel limit."),
            415: OpenApiResponse(description="A file is not a JPEG/PNG/WebP or MP4/WebM."),
            422: INVALID,
        },
        tags=TAGS,
    )
    def post(self, request):
        """Review a product or the store (one review each), with up to 5 photos or videos."""
        try:
            services.review_author_check(store=self.store, author=self.customer)
        except DjangoPermissionDenied as exc:
            raise refused(exc) from exc
        # Refused before the body is read: a JSON body is held in memory whole.
        if int(request.META.get("CONTENT_LENGTH") or 0) > media.largest_request_bytes():
            raise api.PayloadTooLarge()
        data = valid(api.ReviewPostSerializer, request.data)
        subject = selectors.review_subject_find(self.store, data["subject"])
        if subject is None:
            raise exceptions.ValidationError({"subject": ["No such product in this store."]})
        files = api.uploaded_files(request)
        try:
            review = services.review_create(
                store=self.store,
                author=self.customer,
                subject=subject,
                rating=data["rating"],
                content=data["content"],
                files=files,
            )
        except DjangoPermissionDenied as exc:
            raise refused(exc) from exc
        except media.MediaTooLarge as exc:
            raise api.PayloadTooLarge(exc.messages[0]) from exc
        except media.MediaUnsupported as exc:
            raise api.UnsupportedMedia(exc.messages[0]) from exc
        return review_answer(request, self.store, review, status_code=status.HTTP_201_CREATED)


class ReviewCountView(StorefrontView):
    @extend_schema(
        parameters=[api.ReviewCountQuerySerializer],
        responses={200: api.RatingSummarySerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request):
        """How many published reviews, their average and how many of each star: of `subject`
        (a product or the store itself), or of the whole store (`store`, or nothing)."""
        query = valid(api.ReviewCountQuerySerializer, request.query_params)
        subject = None
        if query.get("subject"):
            subject = selectors.review_subject_find(self.store, query["subject"])
            if subject is None:
                raise exceptions.NotFound("No such product or store.")
        elif query.get("store") and query["store"] != self.store.public_id:
            raise exceptions.NotFound("No such store.")
        return Response(selectors.rating_summary(selectors.reviews_for(self.store, subject)))


class ReviewDetailView(StorefrontView):
    def get_permissions(self):
        return [HasCustomer()] if self.request.method == "DELETE" else []

    @extend_schema(responses={200: api.ReviewSerializer, 404: NOT_FOUND}, tags=TAGS)
    def get(self, request, public_id):
        """One published review of the store."""
        review = selectors.reviews_for(self.store).filter(public_id=public_id).first()
        if review is None:
            raise exceptions.NotFound()
        return Response(api.ReviewSerializer(review, context={"request": request}).data)

    @extend_schema(responses={204: None, 401: NO_TOKEN, 404: NOT_FOUND}, tags=TAGS)
    def delete(self, request, public_id):
        """Delete one's own review (hidden ones too), with its photos and videos."""
        review = Review.objects.filter(
            store=self.store, author=self.customer, public_id=public_id
        ).first()
        if review is None:  # another customer's review is "not found", never "forbidden"
            raise exceptions.NotFound()
        services.review_delete(review=review, actor_customer=self.customer)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewVoteView(StorefrontView):
    permission_classes = [HasCustomer]

    @extend_schema(
        request=api.VoteSerializer,
        responses={200: api.ReviewSerializer, 401: NO_TOKEN, 403: REFUSED, 404: NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, public_id):
        """Vote a review helpful (upvote) or not (downvote); voting again changes the vote.
        Not on one's own review (422). Answers the review with its new totals."""
        review = selectors.reviews_for(self.store).filter(public_id=public_id).first()
        if review is None:
            raise exceptions.NotFound()
        value = VOTES[valid(api.VoteSerializer, request.data)["type"]]
        try:
            review = services.review_vote(review=review, customer=self.customer, value=value)
        except DjangoPermissionDenied as exc:
            raise refused(exc) from exc
        return review_answer(request, self.store, review)
