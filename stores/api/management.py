"""What every management API view shares (`/api/v1/accounts/{account_id}/…`, Leal-compatible).

A store's secret key (`Authorization: Bearer sk_…`) is required; the path's account id must be
that store's, otherwise the answer is 404 (a key never learns whether another store exists).
Lists answer `{"<things>": [...], "pagination": {"count", "items", "page", "pages"}}`.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.urls import re_path
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from stores.api.authentication import StoreKeyAuthentication, authenticate_key
from stores.api.throttles import ApiKeyThrottle
from stores.models import ApiKey, Store

DEFAULT_ITEMS = 25
MAX_ITEMS = 100


@dataclass
class BackOffice:
    """`request.user` on the management API: the store whose secret key was sent."""

    store: Store
    api_key: ApiKey
    is_authenticated: bool = True


class SecretKeyAuthentication(StoreKeyAuthentication):
    kind = ApiKey.Kind.SECRET

    def authenticate(self, request):
        api_key = authenticate_key(request, self.kind)
        request.store = api_key.store
        return BackOffice(store=api_key.store, api_key=api_key), api_key


class IsTheAccount(BasePermission):
    """The account id in the path is the key's store; any other is "Store not found"."""

    def has_permission(self, request, view):
        if view.kwargs.get("account_id") != request.user.store.pk:
            raise exceptions.NotFound("Store not found.")
        return True


class AccountView(APIView):
    authentication_classes = [SecretKeyAuthentication]
    permission_classes = [IsTheAccount]
    throttle_classes = [ApiKeyThrottle]
    # Leal clients send JSON: other bodies are a 415, and the schema advertises JSON only.
    parser_classes = [
        parser
        for parser in api_settings.DEFAULT_PARSER_CLASSES
        if parser.media_type == "application/json"
    ]

    @property
    def store(self) -> Store:
        return self.request.user.store

    @property
    def api_key(self) -> ApiKey:
        return self.request.user.api_key


def unwrap(data, key: str) -> dict:
    """Leal wraps write bodies: {"customer": {...}}. The object inside, or a 422."""
    inner = data.get(key) if hasattr(data, "get") else None
    if not isinstance(inner, dict):
        raise exceptions.ValidationError({key: [f"Send the fields inside a “{key}” object."]})
    return inner


class PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    items = serializers.IntegerField(
        min_value=1, max_value=MAX_ITEMS, required=False, default=DEFAULT_ITEMS
    )


class PaginationSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class CappedPaginationSerializer(PaginationSerializer):
    """The pagination of a list that may be too long to count (stores.counting)."""

    count = serializers.IntegerField(
        help_text="How many rows match: exact when count_is_exact is true. Otherwise the list "
        "is longer than the count's cap: with no filter, count is the database's estimate of "
        "the store's rows; with a search or a filter, count is the cap (2,000), and more rows "
        "match. Either way `pages` follows `count`, and pages past it still answer: keep "
        "asking for the next page until one has fewer than `items` rows."
    )
    count_is_exact = serializers.BooleanField()


def paginated(request, queryset, *, key: str, serializer_class, context=None) -> dict:
    """{key: [...], "pagination": {...}} for `page` (from 1) and `items` (1–100); a page past
    the end is an empty list with the right totals."""
    params = PageParams(data=request.query_params)
    params.is_valid(raise_exception=True)
    page_number, per_page = params.validated_data["page"], params.validated_data["items"]
    paginator = Paginator(queryset, per_page)
    rows = paginator.page(page_number).object_list if page_number <= paginator.num_pages else []
    return {
        key: serializer_class(rows, many=True, context=context or {"request": request}).data,
        "pagination": {
            "count": paginator.count,
            "items": per_page,
            "page": page_number,
            "pages": paginator.num_pages if paginator.count else 0,
        },
    }


def route(pattern: str, view):
    """A management API path, with or without a trailing slash."""
    return re_path(rf"^{pattern}/?$", view.as_view())
