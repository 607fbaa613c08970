"""Touches on the generated OpenAPI document: the management key's scheme, the paths as the
SDKs call them, and every error an operation can answer, in the error shape (AutoSchema)."""

import copy

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_serializer
from rest_framework import serializers

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of both APIs: messages, and messages per field when a field "
    "is to blame.",
    "properties": {
        "errors": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["errors"],
}

# What each status means on every operation that can answer it (docs/api.md, "Errors").
BAD_REQUEST = "The body cannot be read: not JSON (or form data), or JSON nested too deep."
UNAUTHENTICATED = (
    "No key, or a key that is not valid or was revoked; on the shopper API also a "
    "Customer-Token that is not valid, expired or ended, or missing where one is needed."
)
NOT_FOUND = "Not found in this store (another store's id, or a key of another store)."
TOO_LARGE = 'The body is larger than this endpoint takes (README, "Limits").'
UNSUPPORTED = "A Content-Type this endpoint does not read."
INVALID = "Validation failed: `errors`, and `fields` with the messages of each field."
THROTTLED = "Too many requests; `Retry-After` says in how many seconds to try again."

# What DRF reads as true or false besides JSON's booleans (any case): Leal clients send 1/0.
BOOLEAN_TEXT = (
    "^(?:[tTfFyYnN01]|[yY][eE][sS]|[nN][oO]|[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|[oO][nN]"
    "|[oO][fF][fF])$"
)
# Holds a character Python's str.strip() keeps: DRF trims text before it refuses a blank one.
NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Keys that describe a property rather than its type: they stay outside an anyOf.
OUTER_KEYS = ("description", "readOnly", "writeOnly", "deprecated", "title", "default")


class SecretKeyScheme(OpenApiAuthenticationExtension):
    """The management API's secret key in the OpenAPI document."""

    target_class = "stores.api.management.SecretKeyAuthentication"
    name = "secretKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The store's secret key: `Authorization: Bearer sk_…`.",
        }


def _is_wrapper(serializer) -> bool:
    """A body whose fields are all objects: Leal's `{"card": {...}}`."""
    fields = serializer.fields.values() if is_serializer(serializer) else ()
    return bool(fields) and all(isinstance(field, serializers.BaseSerializer) for field in fields)


def _blank_allowed(field) -> bool:
    """Whether `field` may be "" (a read-only model field says so through its model field)."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


def _wrap(schema: dict, *alternatives: dict, key: str = "anyOf") -> None:
    """Make `schema` (in place) itself or one of `alternatives`, what describes the property
    staying outside."""
    inner = {k: v for k, v in schema.items() if k not in OUTER_KEYS}
    for k in inner:
        del schema[k]
    schema[key] = [inner, *alternatives]


def _widen_as_read(field, schema: dict) -> None:
    """Widen the request schema of `field` (in place) to what DRF reads into it: a number for
    text (as its digits), 1/0 and "true"/"false"/"yes"/"on"… for a boolean. Leal and Fleetbase
    clients send both; documenting it keeps the schema true to the API."""
    if isinstance(field, serializers.BooleanField) and schema.get("type") == "boolean":
        words = {"type": "string", "pattern": BOOLEAN_TEXT}
        _wrap(schema, {"type": "integer", "enum": [0, 1]}, words)
    elif (
        type(field) is serializers.CharField
        and schema.get("type") == "string"
        and schema.get("pattern", NOT_BLANK) == NOT_BLANK
        and not {"format", "enum"} & set(schema)
    ):
        _wrap(schema, {"type": "number", "description": "Read as its digits."})


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with every status an operation can answer documented with the error
    shape: 401 (keys), 404 (ids in the path, the account), 400/413/415/422 (bodies), 422
    (query parameters), 403 (a permission with a message), 429 (throttles), besides those an
    operation declares itself with @extend_schema."""

    def _error_statuses(self) -> dict[str, str]:
        """The errors this operation can answer, with what each means here."""
        view = self.view
        errors = {}
        if view.authentication_classes:
            errors["401"] = UNAUTHENTICATED
        for permission in view.get_permissions():
            if getattr(permission, "message", None):  # a permission refusing with a 403
                errors["403"] = str(permission.message)
        if "{" in self.path:
            errors["404"] = NOT_FOUND
        if self.method in ("POST", "PUT", "PATCH") and self._get_request_body():
            errors.update({"400": BAD_REQUEST, "413": TOO_LARGE, "415": UNSUPPORTED})
            errors["422"] = INVALID
        if any(p.get("in") == "query" for p in self._get_parameters()):
            errors["422"] = INVALID
        if view.throttle_classes:
            errors["429"] = THROTTLED
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = self._error_statuses()
        error = self._error_component().ref
        for status, description in errors.items():
            responses.setdefault(status, {"description": description})
        for status, response in responses.items():
            if status >= "400":  # declared with @extend_schema too: the error shape
                response.setdefault("content", {"application/json": {"schema": error}})
                response["description"] = response.get("description") or errors.get(status, "")
        return dict(sorted(responses.items()))

    def _get_request_body(self, direction="request"):
        self._in_body = True
        try:
            return super()._get_request_body(direction)
        finally:
            self._in_body = False

    def _map_basic_serializer(self, serializer, direction):
        outer, self._direction = getattr(self, "_direction", None), direction
        try:
            return super()._map_basic_serializer(serializer, direction)
        finally:
            self._direction = outer

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if (
            getattr(self, "_direction", None) == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and not {"format", "enum", "pattern"} & set(schema)
        ):
            schema["pattern"] = NOT_BLANK  # "  " is blank once trimmed
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            # many=True lists: DRF checks their length outside of validators.
            least = max(field.min_length or 0, 0 if field.allow_empty else 1)
            if least:
                schema["minItems"] = least
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        if schema.get("format") in ("email", "uri") and _blank_allowed(field):
            _wrap(schema, {"type": "string", "maxLength": 0}, key="oneOf")
        if getattr(self, "_in_body", False):
            _widen_as_read(field, schema)

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # An empty query parameter that is not required is read as absent: `?page=`.
            schema = parameter.get("schema")
            if parameter["in"] != "query" or parameter.get("required") or not schema:
                continue
            schema.pop("minLength", None)
            if schema.get("type") != "string" or {"enum", "pattern", "format"} & set(schema):
                _wrap(schema, {"type": "string", "maxLength": 0})
        return parameters

    def _get_request_for_media_type(self, serializer, direction="request"):
        serializer = force_instance(serializer)
        if self.method == "PATCH" and _is_wrapper(serializer):
            # On PATCH too the wrapper is required; the fields inside it are what is optional
            # (the nested serializer says so with partial=True).
            return self.resolve_serializer(serializer, direction).ref, True
        return super()._get_request_for_media_type(serializer, direction)

    def _error_component(self) -> ResolvedComponent:
        component = ResolvedComponent(
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            object=ERROR_COMPONENT,
            schema=ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
EMPTY = {"type": "string", "maxLength": 0, "description": "Empty: as if not sent."}


def _accepts_empty_text(schema: dict) -> bool:
    if "anyOf" in schema or "oneOf" in schema:
        return any(_accepts_empty_text(s) for s in schema.get("anyOf", schema.get("oneOf")))
    plain = schema.get("type") == "string" and not {"enum", "pattern", "format"} & set(schema)
    return plain and not schema.get("minLength")


def form_bodies(result, generator, request, public):
    """A form (multipart or urlencoded) body has its own schema: DRF reads an empty field that
    is not required as a field not sent, where JSON would be refused for it (`"first_name": ""`
    is a 422, `first_name=` changes nothing)."""
    schemas = result.get("components", {}).get("schemas", {})
    for item in result["paths"].values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type in FORMS:
                ref = content.get(media_type, {}).get("schema", {}).get("$ref", "")
                name = ref.rsplit("/", 1)[-1]
                if name not in schemas:
                    continue
                form = copy.deepcopy(schemas[name])
                required = set(form.get("required", ()))
                for field, schema in form.get("properties", {}).items():
                    if field in required or _accepts_empty_text(schema):
                        continue
                    if "anyOf" in schema:
                        schema["anyOf"].append(EMPTY)
                    else:
                        _wrap(schema, EMPTY)
                schemas.setdefault(f"{name}Form", form)
                content[media_type]["schema"] = {"$ref": f"{ref}Form"}
    return result


def strip_trailing_slashes(result, generator, request, public):
    """Shopper API paths are documented as the Fleetbase SDK calls them: without a trailing
    slash (the routes accept both)."""
    result["paths"] = {
        (path.rstrip("/") if path.startswith("/storefront/") else path): item
        for path, item in result["paths"].items()
    }
    return result
