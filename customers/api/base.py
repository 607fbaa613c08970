"""What every shopper API view shares: the store key (and optional customer token), the error
shape, the per-key throttle, and limit/offset paging of bare arrays."""

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.views import APIView

from customers.api.authentication import StorefrontAuthentication
from customers.api.throttles import ApiKeyThrottle

MAX_LIMIT = 100
MAX_OFFSET = 10_000_000  # a larger OFFSET is no use, and past 2**63 no database takes it


class StorefrontView(APIView):
    authentication_classes = [StorefrontAuthentication]
    throttle_classes = [ApiKeyThrottle]

    @property
    def store(self):
        return self.request.user.store

    @property
    def customer(self):
        return self.request.user.customer


class PageSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=30)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False, default=0)


def page_of(request, queryset: QuerySet) -> QuerySet:
    """`limit` (1–100, default 30) and `offset` from the query string; bad values are a 422."""
    params = PageSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    offset, limit = params.validated_data["offset"], params.validated_data["limit"]
    return queryset[offset : offset + limit]
