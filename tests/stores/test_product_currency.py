"""A product is priced in its store's currency, so an order never adds prices of two
currencies: the admin (where products are written) and the service refuse another one."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from stores.models import Product
from stores.services import product_save
from tests import factories

pytestmark = pytest.mark.django_db


def _product_form(store, **overrides):
    return {
        "store": store.pk,
        "name": "Flat white",
        "sku": "FW",
        "description": "",
        "price": "3.40",
        "currency": "USD",
        "active": "on",
        **overrides,
    }


def test_the_admin_refuses_a_product_in_another_currency(admin_client, store):
    response = admin_client.post(
        reverse("admin:stores_product_add"), _product_form(store, currency="EUR")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["currency"]
    assert "USD" in errors["currency"][0]
    assert not Product.objects.exists()


def test_the_admin_saves_a_product_in_the_stores_currency(admin_client, store):
    response = admin_client.post(reverse("admin:stores_product_add"), _product_form(store))

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.store, product.currency, product.price) == (store, "USD", Decimal("3.40"))


def test_the_admin_refuses_moving_a_product_to_a_store_of_another_currency(admin_client, store):
    euro_store = factories.StoreFactory(currency="EUR")
    product = factories.ProductFactory(store=store)

    response = admin_client.post(
        reverse("admin:stores_product_change", args=[product.pk]),
        _product_form(euro_store, name=product.name, sku=product.sku),
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["currency"]
    product.refresh_from_db()
    assert product.store == store


def test_the_admin_product_form_shows_a_currency_select(admin_client):
    page = admin_client.get(reverse("admin:stores_product_add")).content.decode()

    assert '<select name="currency"' in page


def test_the_service_refuses_a_product_in_another_currency(store):
    product = Product(store=store, name="Croissant", price=Decimal("2"), currency="GBP")

    with pytest.raises(ValidationError) as raised:
        product_save(product=product)

    assert list(raised.value.message_dict) == ["currency"]
    assert not Product.objects.exists()


def test_the_service_saves_a_product_in_the_stores_currency(store):
    product = product_save(
        product=Product(store=store, name="Croissant", price=Decimal("2"), currency="USD")
    )

    assert Product.objects.get().pk == product.pk


def test_the_admin_lists_prices_in_their_currency(admin_client, store):
    factories.ProductFactory(store=store, price=Decimal("3.40"))

    page = admin_client.get(reverse("admin:stores_product_changelist")).content.decode()

    assert "$3.40" in page
