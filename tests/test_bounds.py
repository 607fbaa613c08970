"""Every input is bounded (README, "Limits"): a shopper holding only the public key cannot bloat
the database, and no input makes a 500.

Each bound is tried through HTTP on every face it applies to (the shopper API, the management
API, the console): past it the answer is a 422 (or 413 for a body, 400 for JSON nested too
deep) in the APIs' error shape with a message naming the bound, or the form again with that
message, and the database is exactly as it was. Runs on SQLite and on PostgreSQL (which refuses
NUL characters and is where they used to make a 500)."""

import time

import pytest
from django.urls import reverse

from customers.models import Address, Customer, ExternalReference
from stores.services import api_key_create
from tests import factories
from tests.helpers import assert_error, client_of, empty_inlines
from tests.test_half_valid_bodies import snapshot

pytestmark = pytest.mark.django_db

SHOP = "/storefront/v1"
MB = 1024 * 1024


@pytest.fixture
def ada(customer):
    return customer


@pytest.fixture
def shop(store, ada):
    """The shopper API as Ada (logged in)."""
    return client_of(api_key_create(store=store, kind="publishable"), ada)


@pytest.fixture
def guest_shop(store):
    """The shopper API with the store's key, nobody logged in."""
    return client_of(api_key_create(store=store, kind="publishable"))


@pytest.fixture
def management(store):
    return client_of(api_key_create(store=store, kind="secret"))


@pytest.fixture
def base(store):
    return f"/api/v1/accounts/{store.pk}"


def refused(response, status, message, *fields):
    """`response` is `status` in the error shape, and `message` is one of its messages (on each
    of `fields` when given)."""
    body = assert_error(response, status, *fields)
    texts = body["errors"] + [m for ms in body.get("fields", {}).values() for m in ms]
    assert any(message in text for text in texts), (message, body)
    for field in fields:
        assert any(message in text for text in body["fields"][field]), (field, body)
    return body


class Unchanged:
    """`with Unchanged():` the block leaves every table as it was."""

    def __enter__(self):
        self.before = snapshot()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert snapshot() == self.before


def many_keys(n, value="v"):
    return {f"key{i}": value for i in range(n)}


# --- Metadata -------------------------------------------------------------------------------

METADATA_CASES = [
    pytest.param(many_keys(51), "at most 50 keys", id="51-keys"),
    pytest.param({"k" * 41: 1}, "at most 40 characters", id="key-41-characters"),
    pytest.param({"tier/level": 1}, "letters, digits", id="key-with-a-slash"),
    pytest.param({"drink of choice": 1}, "letters, digits", id="key-with-a-space"),
    pytest.param({"notes": "x" * 499}, "at most 500 characters", id="value-501-as-json"),
    pytest.param({"notes": "\x00"}, "NUL", id="nul-in-a-value"),
    pytest.param({"no\x00tes": 1}, "NUL", id="nul-in-a-key"),
]
API_METADATA_CASES = [
    *METADATA_CASES,
    pytest.param({"notes": ["a", {"b": "c\x00"}]}, "NUL", id="nul-deep-in-a-value"),
    pytest.param({"notes": {"a": [[["x" * 500]]]}}, "at most 500", id="deep-value-too-long"),
]


@pytest.mark.parametrize(("metadata", "message"), API_METADATA_CASES)
def test_shopper_meta_past_a_bound_is_422_on_meta(shop, ada, metadata, message):
    with Unchanged():
        response = shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": metadata}, "json")
    refused(response, 422, message, "meta")


@pytest.mark.parametrize(("metadata", "message"), API_METADATA_CASES)
def test_management_metadata_past_a_bound_is_422(management, base, ada, metadata, message):
    with Unchanged():
        created = management.post(
            f"{base}/customers",
            {"customer": {"first_name": "Lin", "email": "lin@example.com", "metadata": metadata}},
        )
        patched = management.patch(
            f"{base}/customers/{ada.pk}", {"customer": {"metadata": metadata}}
        )
    for response in (created, patched):
        refused(response, 422, message)


@pytest.mark.parametrize(("metadata", "message"), METADATA_CASES)
def test_console_metadata_past_a_bound_is_a_form_error(staff_client, ada, metadata, message):
    keys, values = list(metadata), [str(value) for value in metadata.values()]
    with Unchanged():
        response = staff_client.post(
            reverse("customers:edit", args=[ada.pk]),
            {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "phone": "+14155550123",
                "tags": "",
                "meta_key": keys,
                "meta_value": values,
            },
        )
    assert response.status_code == 200, response.status_code
    errors = " ".join(response.context["form"].errors.get("metadata", []))
    assert message in errors, response.context["form"].errors


def test_the_admin_refuses_metadata_past_a_bound(admin_client, ada):
    """The admin's JSON box goes through the same rules: a NUL escaped in the JSON (which
    PostgreSQL cannot store) and a 41-character key are form errors, not server errors."""
    url = reverse("admin:customers_customer_change", args=[ada.pk])
    base = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550123",
        "birthday": "",
        **empty_inlines("addresses", "cards"),
    }
    for metadata, message in [
        ('{"note": "a\\u0000b"}', "NUL"),
        ('{"%s": 1}' % ("k" * 41), "at most 40 characters"),
    ]:
        with Unchanged():
            response = admin_client.post(url, {**base, "metadata": metadata})
        assert response.status_code == 200, response.status_code
        errors = response.context["adminform"].form.errors["metadata"]
        assert message in " ".join(errors), errors


def test_metadata_at_every_bound_is_kept(shop, management, base, ada):
    fifty = {f"k{i:02d}" + "k" * 37: "v" * 98 for i in range(50)}  # 40-character keys
    response = management.patch(f"{base}/customers/{ada.pk}", {"customer": {"metadata": fifty}})
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert ada.metadata == fifty
    Customer.objects.filter(pk=ada.pk).update(metadata={})
    odd = {"pos:id": 12, "a-b_c.d": True, "Tier2": "v" * 498}  # "v"*498 is 500 as JSON
    response = shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": odd}, "json")
    assert response.status_code == 200, response.content
    ada.refresh_from_db()
    assert ada.metadata == odd


def test_metadata_over_16_kb_after_merging_is_422_on_both_apis(shop, management, base, ada):
    # 30 keys of 490 characters: about 15 KB, within the bound.
    Customer.objects.filter(pk=ada.pk).update(metadata={f"old{i}": "o" * 490 for i in range(30)})
    more = {f"new{i}": "n" * 490 for i in range(3)}  # merged: about 16.6 KB
    with Unchanged():
        shopper = shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": more}, "json")
        managed = management.patch(f"{base}/customers/{ada.pk}", {"customer": {"metadata": more}})
    refused(shopper, 422, "16 KB", "meta")
    refused(managed, 422, "16 KB", "metadata")
    # Removing old keys in the same change makes room.
    fits = {**more, "old0": None, "old1": None}
    response = shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": fits}, "json")
    assert response.status_code == 200, response.content


# --- Tags -----------------------------------------------------------------------------------


def test_more_than_50_tags_are_422_on_the_management_api(management, base, ada):
    tags = [f"tag{i}" for i in range(51)]
    with Unchanged():
        created = management.post(
            f"{base}/customers",
            {"customer": {"first_name": "Lin", "email": "lin@example.com", "tags": tags}},
        )
        patched = management.patch(f"{base}/customers/{ada.pk}", {"customer": {"tags": tags}})
    for response in (created, patched):
        refused(response, 422, "at most 50 tags", "tags")
    # 50, and repeats counted once, are fine.
    fifty = [f"tag{i}" for i in range(50)] + ["TAG0"]
    response = management.patch(f"{base}/customers/{ada.pk}", {"customer": {"tags": fifty}})
    assert response.status_code == 200, response.content
    assert len(response.json()["tags"]) == 50


def test_more_than_50_tags_are_a_console_form_error(staff_client, ada):
    with Unchanged():
        response = staff_client.post(
            reverse("customers:edit", args=[ada.pk]),
            {
                "first_name": "Ada",
                "email": "ada@example.com",
                "phone": "+14155550123",
                "tags": ", ".join(f"tag{i}" for i in range(51)),
                "meta_key": [],
                "meta_value": [],
            },
        )
    assert response.status_code == 200
    assert "at most 50 tags" in " ".join(response.context["form"].errors["tags"])


# --- External references ----------------------------------------------------------------------


def refs(n, prefix="r"):
    return [{"source": "pos", "external_id": f"{prefix}{i}"} for i in range(n)]


def test_more_than_20_external_references_in_a_body_are_422(management, base, ada):
    with Unchanged():
        created = management.post(
            f"{base}/customers",
            {
                "customer": {
                    "first_name": "Lin",
                    "email": "lin@x.com",
                    "external_references": refs(21),
                }
            },
        )
        patched = management.patch(
            f"{base}/customers/{ada.pk}", {"customer": {"external_references": refs(21)}}
        )
    for response in (created, patched):
        refused(response, 422, "at most 20 external references", "external_references")


def test_500_external_references_are_refused_fast(management, base, ada):
    started = time.monotonic()
    with Unchanged():
        created = management.post(
            f"{base}/customers",
            {
                "customer": {
                    "first_name": "Lin",
                    "email": "lin@x.com",
                    "external_references": refs(500),
                }
            },
        )
        patched = management.patch(
            f"{base}/customers/{ada.pk}", {"customer": {"external_references": refs(500)}}
        )
    assert time.monotonic() - started < 2
    for response in (created, patched):
        refused(response, 422, "at most 20 external references", "external_references")


def test_a_customer_holds_at_most_20_external_references(management, base, ada, store):
    for i in range(19):
        ExternalReference.objects.create(
            store=store, customer=ada, source="pos", external_id=f"old{i}"
        )
    with Unchanged():
        response = management.patch(
            f"{base}/customers/{ada.pk}", {"customer": {"external_references": refs(2)}}
        )
    refused(response, 422, "at most 20 external references", "external_references")
    # One more fits; one already held is no new one.
    response = management.patch(
        f"{base}/customers/{ada.pk}",
        {"customer": {"external_references": [*refs(1), {"source": "pos", "external_id": "old0"}]}},
    )
    assert response.status_code == 200, response.content
    assert ada.external_references.count() == 20


# --- Addresses ------------------------------------------------------------------------------


def test_a_customer_holds_at_most_50_addresses(shop, management, base, ada):
    for i in range(50):
        factories.AddressFactory(customer=ada, is_default=i == 0)
    place = {"street1": "1 Infinite Loop", "city": "Cupertino", "country": "US"}
    with Unchanged():
        shopper = shop.post(f"{SHOP}/customers/places", place, "json")
        managed = management.post(f"{base}/customers/{ada.pk}/addresses", place)
    for response in (shopper, managed):
        refused(response, 422, "at most 50 addresses")
    Address.objects.filter(customer=ada).first().delete()
    assert shop.post(f"{SHOP}/customers/places", place, "json").status_code == 201


def test_address_instructions_have_at_most_1000_characters(shop, management, base, ada):
    place = {"street1": "1 Infinite Loop", "instructions": "x" * 1001}
    with Unchanged():
        shopper = shop.post(f"{SHOP}/customers/places", place, "json")
        managed = management.post(f"{base}/customers/{ada.pk}/addresses", place)
    for response in (shopper, managed):
        refused(response, 422, "at most 1000 characters", "instructions")
    place["instructions"] = "x" * 1000
    assert shop.post(f"{SHOP}/customers/places", place, "json").status_code == 201


# --- Reviews, orders, loyalty cards ---------------------------------------------------------


def test_a_review_over_5000_characters_is_422(shop, store):
    product = factories.ProductFactory(store=store)
    body = {"subject": product.public_id, "rating": 5, "content": "x" * 5001}
    with Unchanged():
        response = shop.post(f"{SHOP}/reviews", body, "json")
    refused(response, 422, "5000 characters", "content")
    body["content"] = "x" * 5000
    assert shop.post(f"{SHOP}/reviews", body, "json").status_code == 201


def test_an_order_of_more_than_100_lines_is_422(shop, store):
    products = [factories.ProductFactory(store=store) for _ in range(101)]
    items = [{"product": p.public_id, "quantity": 1} for p in products]
    with Unchanged():
        response = shop.post(f"{SHOP}/orders", {"items": items}, "json")
    refused(response, 422, "100", "items")


def test_the_order_services_refuse_more_than_100_lines_and_long_notes(
    store, ada, django_assert_num_queries
):
    """Below the API (whose serializer stops 101 lines first): before any product is looked
    up, and notes past 1000 characters."""
    from django.core.exceptions import ValidationError

    from orders.services import order_checkout, order_create

    product = factories.ProductFactory(store=store)
    with Unchanged():
        with pytest.raises(ValidationError) as lines, django_assert_num_queries(0):
            order_checkout(store=store, customer=ada, items=[{"product": product.public_id}] * 101)
        with pytest.raises(ValidationError) as notes:
            order_create(store=store, customer=ada, items=[{"product": product}], notes="n" * 1001)
    assert "at most 100 items" in lines.value.message_dict["items"][0]
    assert "at most 1000 characters" in notes.value.message_dict["notes"][0]


@pytest.mark.parametrize("kind", ["card", "reward"])
def test_loyalty_descriptions_have_at_most_1000_characters(management, base, store, kind):
    card = factories.LoyaltyCardFactory(store=store, stamps_required=10)
    bodies = {
        "card": {"card": {"name": "Coffee", "stamps_required": 10, "description": "d" * 1001}},
        "reward": {
            "reward": {
                "card_id": card.pk,
                "name": "Free coffee",
                "stamps_required": 5,
                "description": "d" * 1001,
            }
        },
    }
    with Unchanged():
        response = management.post(f"{base}/{kind}s", bodies[kind])
    refused(response, 422, "at most 1000 characters", "description")
    bodies[kind][kind]["description"] = "d" * 1000
    assert management.post(f"{base}/{kind}s", bodies[kind]).status_code == 201


# --- Body size ------------------------------------------------------------------------------


class LazyBody:
    """A JSON body of `size` bytes, made only as it is read; `read_bytes` counts what was."""

    def __init__(self, size):
        self.size = size
        self.read_bytes = 0

    def _take(self, n):
        n = self.size - self.read_bytes if n is None or n < 0 else n
        n = max(0, min(n, self.size - self.read_bytes))
        start = self.read_bytes
        self.read_bytes += n
        head = b'{"meta": {"k": "'
        chunk = bytearray(b"x" * n)
        if start < len(head):
            part = head[start : start + n]
            chunk[: len(part)] = part
        return bytes(chunk)

    def read(self, n=-1):
        return self._take(n)

    def readline(self, n=-1):
        return self._take(n)


def send_lazy(client, method, path, size):
    body = LazyBody(size)
    started = time.monotonic()
    response = client.generic(
        method,
        path,
        b"",
        content_type="application/json",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
    )
    return response, body, time.monotonic() - started


def test_a_62_mb_body_is_413_before_it_is_read(shop, guest_shop, management, base, ada):
    size = 62 * MB
    with Unchanged():
        cases = [
            send_lazy(shop, "PUT", f"{SHOP}/customers/{ada.public_id}", size),
            send_lazy(guest_shop, "POST", f"{SHOP}/customers/login", size),
            send_lazy(management, "PATCH", f"{base}/customers/{ada.pk}", size),
            send_lazy(management, "POST", f"{base}/customers", size),
        ]
    for response, body, seconds in cases:
        refused(response, 413, " bytes")
        assert body.read_bytes == 0 and seconds < 1
    # The profile takes a photo in base64: its limit is that photo's and the JSON limit.
    assert "1,048,576 bytes" in cases[1][0].json()["errors"][0]
    assert "1,048,576 bytes" in cases[2][0].json()["errors"][0]


def test_a_body_over_api_max_json_bytes_is_413(shop, management, base, ada, settings):
    settings.API_MAX_JSON_BYTES = 10_000
    place = {"street1": "1 Main St", "instructions": "x" * 10_000}
    with Unchanged():
        shopper = shop.post(f"{SHOP}/customers/places", place, "json")
        managed = management.patch(
            f"{base}/customers/{ada.pk}", {"customer": {"metadata": {"notes": "x" * 10_000}}}
        )
        multipart = shop.post(f"{SHOP}/customers/places", place, "multipart")
        form = shop.generic(
            "POST",
            f"{SHOP}/customers/places",
            "street1=" + "x" * 10_000,
            content_type="application/x-www-form-urlencoded",
        )
    for response in (shopper, managed, multipart, form):
        refused(response, 413, "at most 10,000 bytes")
    # Within the limit: parsed, and judged by the field's own bound.
    place["instructions"] = "x" * 9000
    refused(shop.post(f"{SHOP}/customers/places", place, "json"), 422, "1000", "instructions")


def test_the_profile_takes_a_photo_sized_body(shop, ada, settings):
    """PUT customers/{id} may carry a photo in base64: its limit is the photo's in base64 plus
    API_MAX_JSON_BYTES; past it, a 413 before reading."""
    settings.API_MAX_JSON_BYTES = 1000
    settings.CUSTOMER_PHOTO_MAX_BYTES = 3000  # 4000 characters of base64
    fits = shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": {"a": "b" * 400}}, "json")
    assert fits.status_code == 200, fits.content
    response, body, _ = send_lazy(shop, "PUT", f"{SHOP}/customers/{ada.public_id}", 5001)
    refused(response, 413, "at most 5,000 bytes")
    assert body.read_bytes == 0


def test_review_posts_take_api_max_upload_bytes(shop, store, settings):
    """Review posts (files in multipart or in base64 JSON) take API_MAX_UPLOAD_BYTES, not the
    JSON limit; past it, a 413 before reading."""
    product = factories.ProductFactory(store=store)
    settings.API_MAX_JSON_BYTES = 1000
    review = {"subject": product.public_id, "rating": 5, "content": "y" * 2000}
    assert shop.post(f"{SHOP}/reviews", review, "json").status_code == 201
    settings.API_MAX_UPLOAD_BYTES = 5000
    response, body, _ = send_lazy(shop, "POST", f"{SHOP}/reviews", 6000)
    refused(response, 413, "5,000 bytes")
    assert body.read_bytes == 0


def test_a_body_without_a_length_is_read_only_up_to_the_limit(settings):
    """The parser reads at most the limit and one byte (a body sent without Content-Length,
    e.g. chunked, under a server that passes it on)."""
    import io

    from rest_framework.exceptions import APIException

    from stores.api.parsers import JSONParser

    settings.API_MAX_JSON_BYTES = 1000
    stream = io.BytesIO(b'{"a": "' + b"x" * (5 * MB) + b'"}')
    with pytest.raises(APIException) as excinfo:
        JSONParser().parse(stream, "application/json", {})
    assert excinfo.value.status_code == 413
    assert stream.tell() <= 1001


# --- JSON depth -----------------------------------------------------------------------------


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 1000, 200_000])
def test_json_nested_too_deep_is_400(guest_shop, management, base, ada, depth):
    with Unchanged():
        shopper = guest_shop.generic(
            "POST",
            f"{SHOP}/customers/request-creation-code",
            '{"identity": ' + nested(depth) + "}",
            content_type="application/json",
        )
        managed = management.generic(
            "PATCH",
            f"{base}/customers/{ada.pk}",
            '{"customer": {"metadata": {"k": ' + nested(depth) + "}}}",
            content_type="application/json",
        )
    for response in (shopper, managed):
        refused(response, 400, "32 levels")


def test_json_32_levels_deep_is_parsed(guest_shop):
    # {"identity": [[…]]}: the object and 31 lists are 32 levels.
    response = guest_shop.generic(
        "POST",
        f"{SHOP}/customers/request-creation-code",
        '{"identity": ' + nested(31) + "}",
        content_type="application/json",
    )
    assert_error(response, 422, "identity")  # the serializer's answer, not the parser's


# --- NUL characters -------------------------------------------------------------------------


def test_nul_in_a_json_body_field_is_422(guest_shop, management, base, ada):
    with Unchanged():
        shopper = guest_shop.post(
            f"{SHOP}/customers/login", {"identity": "ada@example.com\x00", "password": "x"}, "json"
        )
        created = management.post(
            f"{base}/customers", {"customer": {"first_name": "L\x00n", "email": "lin@x.com"}}
        )
        patched = management.patch(
            f"{base}/customers/{ada.pk}", {"customer": {"last_name": "K\x00ng"}}
        )
    refused(shopper, 422, "NUL", "identity")
    # Named as the management API names fields: inside the {"customer": {…}} wrapper.
    refused(created, 422, "NUL", "first_name")
    refused(patched, 422, "NUL", "last_name")


def test_nul_in_a_metadata_key_or_value_is_422(shop, management, base, ada):
    with Unchanged():
        cases = [
            shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": {"a\x00": 1}}, "json"),
            shop.put(f"{SHOP}/customers/{ada.public_id}", {"meta": {"a": "b\x00"}}, "json"),
            management.patch(f"{base}/customers/{ada.pk}", {"customer": {"metadata": {"\x00": 1}}}),
            management.patch(
                f"{base}/customers/{ada.pk}", {"customer": {"metadata": {"a": ["\x00"]}}}
            ),
        ]
    for response, field in zip(cases, ["meta", "meta", "metadata", "metadata"], strict=True):
        refused(response, 422, "NUL", field)


def test_nul_in_a_multipart_field_is_422(shop, ada):
    with Unchanged():
        response = shop.put(f"{SHOP}/customers/{ada.public_id}", {"first_name": "A\x00a"})
    refused(response, 422, "NUL", "first_name")


def test_an_unpaired_surrogate_in_json_is_422(shop, ada):
    with Unchanged():
        response = shop.generic(
            "PUT",
            f"{SHOP}/customers/{ada.public_id}",
            '{"meta": {"a": "\\ud800"}}',
            content_type="application/json",
        )
    refused(response, 422, "Unicode", "meta")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("customers", {"search": "ada\x00"}, "search"),
        ("customers", {"source": "pos\x00", "external_id": "1"}, "source"),
        ("customers", {"source": "pos", "external_id": "1\x00"}, "external_id"),
        ("customers", {"tag": "\x00"}, "tag"),
        ("customers", {"sort": "\x00"}, "sort"),
        ("customers", {"status\x00": "x"}, "status\x00"),
    ],
)
def test_nul_in_a_management_query_parameter_is_422(management, base, ada, path, params, field):
    response = management.get(f"{base}/{path}", params)
    refused(response, 422, "NUL", field)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("products", {"query": "esp\x00"}, "query"),
        ("reviews", {"sort": "\x00"}, "sort"),
        ("reviews/count", {"subject": "product_\x00"}, "subject"),
    ],
)
def test_nul_in_a_shopper_query_parameter_is_422(guest_shop, path, params, field):
    response = guest_shop.get(f"{SHOP}/{path}", params)
    refused(response, 422, "NUL", field)


def test_too_many_query_parameters_are_400_in_the_error_shape(management, base, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    response = management.get(f"{base}/customers?" + "&".join(f"p{i}=1" for i in range(101)))
    assert_error(response, 400)


def test_nul_in_the_console_search_and_filters_is_no_server_error(staff_client, ada):
    url = reverse("customers:list")
    for params in ({"q": "ada\x00"}, {"tag": "\x00"}, {"status": "\x00"}, {"sort": "\x00"}):
        response = staff_client.get(url, params)
        assert response.status_code in (200, 400), (params, response.status_code)


def test_nul_in_the_admin_search_box_is_no_server_error(admin_client, ada):
    for name in ("customers_customer", "customers_address", "reviews_review", "orders_order"):
        response = admin_client.get(reverse(f"admin:{name}_changelist"), {"q": "ada\x00"})
        assert response.status_code in (200, 400), (name, response.status_code)
