"""One error shape for both APIs: {"errors": ["…"], "fields": {"email": ["…"]}}.

Validation failures are 422 (DRF says 400), a body that is not JSON is 400, and a service's
django ValidationError is a 422 with its field messages, so views can let them through.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.defaults import bad_request
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from stores.api.limits import NUL_MESSAGE, body_limit, content_length, too_large


class UnprocessableEntity(exceptions.ValidationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    fields = {}
    for name, value in detail.items():
        if name in ("non_field_errors", "__all__"):
            continue
        fields[name] = _flatten(value)
    return fields


def error_body(messages: list[str], fields: dict | None = None) -> dict:
    body = {"errors": messages or ["Something went wrong."]}
    if fields:
        body["fields"] = fields
    return body


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        exc = UnprocessableEntity(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _fields(detail) if isinstance(detail, dict) else {}
        status_code = (
            status.HTTP_422_UNPROCESSABLE_ENTITY
            if exc.status_code == status.HTTP_400_BAD_REQUEST
            else exc.status_code
        )
        return Response(error_body(_flatten(detail), fields), status=status_code)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 (see errors_middleware for its JSON shape)
    response.data = error_body(_flatten(response.data.get("detail", response.data)))
    return response


def not_found(request, exception=None):
    """handler404: a JSON 404 in the API's shape on API paths, the console's page elsewhere."""
    if request.path.startswith(ApiErrorsMiddleware.PREFIXES):
        return JsonResponse(error_body(["Not found."]), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


class ApiErrorsMiddleware:
    """An unexpected exception on an API path answers in the API's shape (still a 500, still
    logged), not with Django's HTML error page."""

    PREFIXES = ("/storefront/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith(self.PREFIXES):
            import logging

            logging.getLogger("django.request").exception(
                "Unhandled error on %s", request.path, exc_info=exception
            )
            return JsonResponse(error_body(["Internal server error."]), status=500)
        return None


class InputBoundsMiddleware:
    """Refuses, before any view runs, a query string with a NUL character (PostgreSQL cannot
    hold one): a 422 naming the parameter on the API paths, a 400 elsewhere (the console, the
    admin's search box); and, on the API paths, a body declared larger than its endpoint takes
    (413, limits.py), so that not a byte of it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._query_refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    @staticmethod
    def _is_api(request) -> bool:
        return request.path.startswith(ApiErrorsMiddleware.PREFIXES)

    def _query_refusal(self, request):
        try:
            params = list(request.GET.lists())
        except SuspiciousOperation as exc:  # more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS
            if self._is_api(request):
                return JsonResponse(error_body([str(exc)]), status=400)
            raise
        fields = {
            name: [NUL_MESSAGE]
            for name, values in params
            if "\x00" in name or any("\x00" in value for value in values)
        }
        if not fields:
            return None
        if self._is_api(request):
            return JsonResponse(error_body([NUL_MESSAGE], fields), status=422)
        return bad_request(request, SuspiciousOperation(NUL_MESSAGE))

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not self._is_api(request):
            return None
        limit = body_limit(getattr(view_func, "cls", None))
        if content_length(request.META) > limit:
            return JsonResponse(error_body([too_large(limit).detail]), status=413)
        return None
