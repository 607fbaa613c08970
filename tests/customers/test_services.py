import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from customers.models import Address, Customer, CustomerEvent, ExternalReference
from customers.services import (
    address_create,
    address_delete,
    address_set_default,
    address_update,
    customer_create,
    customer_delete,
    customer_update,
    validation_error_from_integrity,
)
from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


def png_upload(name="me.png", size=(40, 30), fmt="PNG", exif=False):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, "teal")
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        kwargs["exif"] = data.tobytes()
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- customer_create ------------------------------------------------------------------------


def test_create_normalises_contact_and_writes_an_event(store, admin_user):
    customer = customer_create(
        store=store,
        first_name=" Ada ",
        last_name="Lovelace",
        email="Ada@Example.COM",
        phone="(415) 555-0123",
        tags=["VIP", "vip", "newsletter"],
        metadata={"favourite": "flat white"},
        actor_user=admin_user,
    )
    customer.refresh_from_db()
    assert customer.first_name == "Ada"
    assert customer.email == "ada@example.com"
    assert customer.phone == "+14155550123"
    assert customer.slug == "ada-lovelace"
    assert customer.public_id.startswith("customer_") and len(customer.public_id) >= 19
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "newsletter"]
    assert customer.status == "prospect" and customer.total_orders_count == 0
    event = CustomerEvent.objects.get(customer=customer)
    assert event.type == "created" and event.actor_user == admin_user


def test_create_uses_the_store_phone_region(db):
    store = factories.StoreFactory(phone_region="GB")
    customer = customer_create(store=store, first_name="Alan", phone="020 7946 0958")
    assert customer.phone == "+442079460958"


def test_second_slug_for_the_same_name_is_still_unique(store):
    first = customer_create(store=store, first_name="Ada", last_name="Lovelace", email="a@x.io")
    second = customer_create(store=store, first_name="Ada", last_name="Lovelace", email="b@x.io")
    assert first.slug == "ada-lovelace"
    assert second.slug.startswith("ada-lovelace-") and second.slug != first.slug


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"first_name": "", "email": "x@example.com"}, {"first_name"}),
        ({"first_name": "Ada"}, {"email"}),
        ({"first_name": "Ada", "email": "not-an-email"}, {"email"}),
        ({"first_name": "Ada", "phone": "12"}, {"phone"}),
        ({"first_name": "Ada", "email": "bad", "phone": "12"}, {"email", "phone"}),
        ({"first_name": "Ada", "email": "a@b.io", "password": "123"}, {"password"}),
        ({"first_name": "Ada", "email": "a@b.io", "metadata": ["x"]}, {"metadata"}),
    ],
)
def test_create_refuses_bad_input_with_field_errors(store, fields, errors):
    with pytest.raises(ValidationError) as excinfo:
        customer_create(store=store, **fields)
    assert set(errors_of(excinfo)) == errors
    assert Customer.objects.count() == 0


def test_create_refuses_duplicates_in_the_same_store_only(store, other_store, customer):
    with pytest.raises(ValidationError) as excinfo:
        customer_create(
            store=store, first_name="Eve", email="ADA@example.com", phone="+1 415 555 0123"
        )
    assert set(errors_of(excinfo)) == {"email", "phone"}
    twin = customer_create(
        store=other_store, first_name="Ada", email="ada@example.com", phone="+14155550123"
    )
    assert twin.store == other_store


def test_create_hashes_the_password(store):
    customer = customer_create(
        store=store, first_name="Ada", email="a@b.io", password="correct horse battery"
    )
    assert customer.has_password
    assert "correct horse" not in customer.password
    assert customer.check_password("correct horse battery")
    assert not customer.check_password("wrong")


def test_create_reencodes_the_photo_without_metadata(store):
    customer = customer_create(
        store=store,
        first_name="Ada",
        email="a@b.io",
        photo=png_upload("me.jpg", fmt="JPEG", exif=True),
    )
    with customer.photo.open("rb") as handle:
        data = handle.read()
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (40, 30)


def test_create_refuses_a_photo_that_is_not_an_image(store):
    fake = SimpleUploadedFile("me.jpg", b"this is text, not a JPEG", content_type="image/jpeg")
    with pytest.raises(ValidationError) as excinfo:
        customer_create(store=store, first_name="Ada", email="a@b.io", photo=fake)
    assert "photo" in errors_of(excinfo)
    assert Customer.objects.count() == 0


def test_create_refuses_an_oversized_photo(store, settings):
    settings.CUSTOMER_PHOTO_MAX_BYTES = 100
    with pytest.raises(ValidationError) as excinfo:
        customer_create(
            store=store, first_name="Ada", email="a@b.io", photo=png_upload(size=(300, 300))
        )
    assert "too large" in errors_of(excinfo)["photo"][0]


def test_create_upserts_external_references(store):
    refs = [{"source": "erp", "external_id": "C-1"}, {"source": "erp", "external_id": "C-1"}]
    customer = customer_create(
        store=store, first_name="Ada", email="a@b.io", external_references=refs
    )
    assert list(customer.external_references.values_list("source", "external_id")) == [
        ("erp", "C-1")
    ]
    with pytest.raises(ValidationError) as excinfo:
        customer_create(store=store, first_name="Bob", email="b@b.io", external_references=refs[:1])
    assert "external_references" in errors_of(excinfo)
    assert Customer.objects.count() == 1  # nothing half-written
    assert ExternalReference.objects.count() == 1


def test_a_constraint_lost_in_a_race_becomes_a_field_error(store, customer):
    """What the service raises when another request inserted the same email in between."""
    for duplicate, field in (
        ({"email": "ADA@example.com", "phone": ""}, "email"),
        ({"email": "", "phone": customer.phone}, "phone"),
    ):
        try:
            with transaction.atomic():
                Customer.objects.create(
                    store=store, first_name="Eve", slug=f"eve-{field}", **duplicate
                )
        except IntegrityError as exc:
            error = validation_error_from_integrity(exc)
        assert set(error.message_dict) == {field}


# --- customer_update ------------------------------------------------------------------------


def test_update_changes_only_what_is_sent_and_names_it_in_the_event(customer, admin_user):
    customer_update(
        customer=customer,
        data={"email": "Lovelace@Example.com", "first_name": "Ada"},
        actor_user=admin_user,
    )
    customer.refresh_from_db()
    assert customer.email == "lovelace@example.com"
    assert customer.phone == "+14155550123"
    event = customer.events.get(type="updated")
    assert event.data == {"fields": ["email"]}
    assert event.actor_user == admin_user


def test_update_without_changes_writes_no_event(customer):
    customer_update(customer=customer, data={"first_name": "Ada"})
    assert not customer.events.filter(type="updated").exists()


def test_update_refuses_a_duplicate_and_keeps_the_row(store, customer):
    other = factories.CustomerFactory(store=store, email="grace@example.com")
    with pytest.raises(ValidationError) as excinfo:
        customer_update(customer=other, data={"email": "ada@EXAMPLE.com", "phone": "+14155550123"})
    assert set(errors_of(excinfo)) == {"email", "phone"}
    other.refresh_from_db()
    assert other.email == "grace@example.com"


def test_update_cannot_remove_both_contacts(customer):
    with pytest.raises(ValidationError) as excinfo:
        customer_update(customer=customer, data={"email": "", "phone": ""})
    assert "email" in errors_of(excinfo)


def test_update_merges_or_replaces_metadata(customer):
    customer_update(customer=customer, data={"metadata": {"a": 1, "b": 2}})
    customer_update(customer=customer, data={"metadata": {"b": None, "c": 3}}, merge_metadata=True)
    customer.refresh_from_db()
    assert customer.metadata == {"a": 1, "c": 3}
    customer_update(customer=customer, data={"metadata": {"z": 0}})
    customer.refresh_from_db()
    assert customer.metadata == {"z": 0}


def test_update_refuses_fields_that_are_not_editable(customer):
    with pytest.raises(ValidationError) as excinfo:
        customer_update(customer=customer, data={"total_orders_count": 99})
    assert "total_orders_count" in errors_of(excinfo)


def test_update_replaces_and_removes_the_photo(customer, django_capture_on_commit_callbacks):
    customer_update(customer=customer, data={"photo": png_upload()})
    first = customer.photo.name
    assert customer.photo.storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer=customer, data={"photo": None})
    customer.refresh_from_db()
    assert not customer.photo
    assert not customer.photo.storage.exists(first)


def test_update_sets_a_password_with_its_own_event(customer):
    customer_update(customer=customer, data={"password": "a much better secret"})
    customer.refresh_from_db()
    assert customer.check_password("a much better secret")
    assert customer.events.filter(type="password_changed").exists()


def test_update_replaces_tags(customer):
    customer_update(customer=customer, data={"tags": ["vip"]})
    customer_update(customer=customer, data={"tags": ["wholesale"]})
    assert list(customer.tags.values_list("name", flat=True)) == ["wholesale"]


# --- customer_delete ------------------------------------------------------------------------


def test_delete_keeps_orders_with_their_snapshot(customer, admin_user):
    factories.AddressFactory(customer=customer, is_default=True)
    order = factories.OrderFactory(customer=customer)
    factories.CustomerCardFactory(customer=customer)
    public_id = customer.public_id

    customer_delete(customer=customer, actor_user=admin_user)

    assert not Customer.objects.filter(public_id=public_id).exists()
    assert Address.objects.count() == 0
    order = Order.objects.get(pk=order.pk)
    assert order.customer is None
    assert order.customer_name == "Ada Lovelace"
    assert order.customer_email == "ada@example.com"
    event = CustomerEvent.objects.get(type="deleted")
    assert event.data == {"customer": public_id, "orders_kept": 1}
    assert event.actor_user == admin_user
    assert CustomerEvent.objects.count() == 1  # the customer's own timeline went with them


# --- addresses ------------------------------------------------------------------------------


PLACE = {"name": "Home", "street1": "1 Market St", "city": "San Francisco", "country": "us"}


def test_first_address_becomes_the_default(customer):
    first = address_create(customer=customer, data=PLACE)
    second = address_create(customer=customer, data={**PLACE, "name": "Office"})
    assert first.is_default and not second.is_default
    assert first.country == "US"
    assert customer.events.filter(type="address_added").count() == 2


def test_one_default_at_a_time(customer):
    first = address_create(customer=customer, data=PLACE)
    second = address_create(customer=customer, data={**PLACE, "is_default": True})
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    address_set_default(address=first)
    assert list(customer.addresses.filter(is_default=True)) == [first]


def test_deleting_the_default_promotes_the_oldest(customer):
    first = address_create(customer=customer, data=PLACE)
    second = address_create(customer=customer, data={**PLACE, "name": "Office"})
    address_delete(address=first)
    second.refresh_from_db()
    assert second.is_default
    assert customer.events.filter(type="address_deleted").exists()


def test_address_update_and_its_errors(customer):
    address = address_create(customer=customer, data=PLACE)
    address_update(address=address, data={"street2": "Apt 4", "phone": "415-555-0199"})
    address.refresh_from_db()
    assert address.street2 == "Apt 4" and address.phone == "+14155550199"
    with pytest.raises(ValidationError) as excinfo:
        address_update(address=address, data={"street1": "", "country": "USA", "latitude": 1})
    assert set(errors_of(excinfo)) == {"street1", "country", "location"}
    address.refresh_from_db()
    assert address.street1 == "1 Market St"


def test_address_location(customer):
    address = address_create(
        customer=customer, data={**PLACE, "latitude": 37.77, "longitude": -122.42}
    )
    assert address.location == {"type": "Point", "coordinates": [-122.42, 37.77]}
    with pytest.raises(ValidationError):
        address_create(customer=customer, data={**PLACE, "latitude": 137, "longitude": 0})


def test_delete_removes_the_files_of_what_goes_with_the_customer(
    customer, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from reviews.models import ReviewMedia

    customer_update(customer=customer, data={"photo": png_upload()})
    review = factories.ReviewFactory(author=customer)
    media = ReviewMedia(review=review, kind="photo", content_type="image/png", size=3)
    media.file.save("shot.png", ContentFile(b"png"), save=True)
    names = [customer.photo.name, media.file.name]
    storage = media.file.storage
    assert all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        customer_delete(customer=customer)
    assert not any(storage.exists(name) for name in names)


def test_photo_copies_drop_jpeg_comments(store):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "navy").save(buffer, format="JPEG", comment=b"home: 1 Secret St")
    upload = SimpleUploadedFile("me.jpg", buffer.getvalue(), content_type="image/jpeg")
    customer = customer_create(store=store, first_name="Ada", email="a@b.io", photo=upload)
    with customer.photo.open("rb") as handle:
        assert b"Secret St" not in handle.read()


# --- one rule for every face: names, birthdays, metadata keys ------------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_name_over_100_characters_is_refused_not_cut(store, customer, field):
    fields = {"first_name": "Grace", "email": "grace@example.com", field: "x" * 101}
    with pytest.raises(ValidationError) as excinfo:
        customer_create(store=store, **fields)
    assert errors_of(excinfo) == {field: ["Use at most 100 characters."]}
    assert not Customer.objects.filter(email="grace@example.com").exists()

    with pytest.raises(ValidationError) as excinfo:
        customer_update(customer=customer, data={field: "y" * 101, "phone": "+14155550199"})
    assert errors_of(excinfo) == {field: ["Use at most 100 characters."]}
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert customer.phone == "+14155550123"
    # 100 characters is the limit, not past it.
    customer_update(customer=customer, data={field: "z" * 100})
    customer.refresh_from_db()
    assert getattr(customer, field) == "z" * 100


@pytest.mark.parametrize(
    ("birthday", "message"),
    [
        (date(2025, 6, 16), "A birthday cannot be in the future."),
        (date(1899, 12, 31), "Enter a birthday from 1900 on."),
        (date(1815, 12, 10), "Enter a birthday from 1900 on."),
    ],
)
def test_a_birthday_in_the_future_or_before_1900_is_refused(store, customer, birthday, message):
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError) as excinfo:
            customer_create(store=store, first_name="Lin", email="lin@x.com", birthday=birthday)
        assert errors_of(excinfo) == {"birthday": [message]}
        with pytest.raises(ValidationError) as excinfo:
            customer_update(customer=customer, data={"birthday": birthday, "last_name": "King"})
        assert errors_of(excinfo) == {"birthday": [message]}
    customer.refresh_from_db()
    assert customer.birthday is None and customer.last_name == "Lovelace"
    assert not Customer.objects.filter(email="lin@x.com").exists()


def test_a_birthday_today_in_the_stores_time_zone_and_1900_are_accepted(store, customer):
    store.timezone = "Pacific/Auckland"  # already the 16th there at noon UTC on the 15th
    store.save()
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        customer_update(customer=customer, data={"birthday": date(2025, 6, 16)})
        made = customer_create(
            store=store, first_name="Lin", email="lin@x.com", birthday=date(1900, 1, 1)
        )
    customer.refresh_from_db()
    assert customer.birthday == date(2025, 6, 16) and made.birthday == date(1900, 1, 1)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"": "orphan"}, "Every metadata value needs a key."),
        ({"k" * 41: 1}, "Metadata keys have at most 40 characters"),
        ({"tier level": 1}, "only letters, digits and _ - . :"),
        ({"tier/level": 1}, "only letters, digits and _ - . :"),
        ({" tier": "gold"}, "cannot start or end with a space"),
        ({"tier\n": "gold"}, "cannot start or end with a space"),
        ({"ti\x00er": "gold"}, "control characters"),
        ({f"key{n}": n for n in range(51)}, "at most 50 keys"),
        ({"notes": "x" * 499}, "at most 500 characters"),  # 501 as JSON
        ({"deep": {"a": ["y" * 490]}}, "at most 500 characters"),
        ({"notes": ["ok", {"a": "b\x00"}]}, "cannot hold NUL characters"),
        ({f"k{n}": "v" * 480 for n in range(35)}, "at most 16 KB"),
        ([("a", 1)], "Metadata must be an object of keys and values."),
    ],
)
def test_metadata_keys_and_values_follow_one_set_of_rules(store, customer, metadata, message):
    with pytest.raises(ValidationError) as excinfo:
        customer_create(store=store, first_name="Lin", email="lin@x.com", metadata=metadata)
    assert message in " ".join(errors_of(excinfo)["metadata"])
    for merge in (False, True):
        with pytest.raises(ValidationError) as excinfo:
            customer_update(customer=customer, data={"metadata": metadata}, merge_metadata=merge)
        assert message in " ".join(errors_of(excinfo)["metadata"])
    customer.refresh_from_db()
    assert customer.metadata == {}


def test_metadata_within_the_rules_is_kept_as_sent(store, customer):
    metadata = {
        "k" * 40: "x" * 498,  # "x"*498 is 500 characters as JSON
        "favourite_drink": "flat white",
        "pos:id": 12,
        "vip": True,
        "sizes": ["S", "M"],
    }
    made = customer_create(store=store, first_name="Lin", email="lin@x.com", metadata=metadata)
    assert made.metadata == metadata


def test_merged_metadata_counts_every_key_and_may_drop_an_old_bad_key(customer):
    Customer.objects.filter(pk=customer.pk).update(
        metadata={"k" * 70: "from before the rules", **{f"key{n}": n for n in range(49)}}
    )
    customer.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        customer_update(customer=customer, data={"metadata": {"new": 1}}, merge_metadata=True)
    assert "at most 50 keys" in " ".join(errors_of(excinfo)["metadata"])
    customer_update(
        customer=customer, data={"metadata": {"k" * 70: None, "new": 1}}, merge_metadata=True
    )
    customer.refresh_from_db()
    assert "k" * 70 not in customer.metadata and customer.metadata["new"] == 1
