"""Amounts show in their own currency, formatted one way everywhere ("$12.50", "€30.00"), and
what a customer spent is added up per currency, never across currencies."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


def _render(source, **context):
    return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("12.5"), "USD", "$12.50"),
        (Decimal("1234.5"), "EUR", "€1,234.50"),
        (Decimal("30"), "GBP", "£30.00"),
        (Decimal("1200"), "JPY", "¥1,200"),  # no minor unit
        (Decimal("9.99"), "CAD", "CA$9.99"),  # not "$": the page may show USD beside it
        (Decimal("5"), "CHF", "CHF\xa05.00"),
    ],
)
def test_the_money_filter_shows_an_amount_in_its_currency(amount, currency, shown):
    assert _render("{{ amount|money:currency }}", amount=amount, currency=currency) == shown


def test_the_money_filter_leaves_a_missing_amount_blank():
    assert _render("{{ amount|money:'USD' }}", amount=None) == ""


def test_customer_page_shows_each_order_in_its_own_currency(staff_client, customer, store):
    factories.OrderFactory(customer=customer, number=1, total=Decimal("120.00"), currency="USD")
    factories.OrderFactory(customer=customer, number=2, total=Decimal("30.00"), currency="EUR")

    page = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert '<td class="text-end">$120.00</td>' in page
    assert '<td class="text-end">€30.00</td>' in page
    assert "120.00 USD" not in page and "30.00 EUR" not in page


def test_customer_page_adds_up_spending_per_currency(staff_client, customer, store):
    for total, currency in [("100.00", "USD"), ("20.00", "USD"), ("30.00", "EUR")]:
        factories.OrderFactory(customer=customer, total=Decimal(total), currency=currency)

    page = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "3 · $120.00 + €30.00 spent" in page


def test_customer_page_with_no_orders_spent_nothing_in_the_stores_currency(
    staff_client, customer, store
):
    store.currency = "EUR"
    store.save()

    page = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "0 · €0.00 spent" in page


def test_spending_per_currency_is_one_query_however_many_currencies(
    staff_client, customer, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse("customers:detail", args=[customer.pk])
    factories.OrderFactory(customer=customer, currency="USD")
    staff_client.get(url)  # warm caches (session, content types)
    with django_assert_max_num_queries(50) as one:
        staff_client.get(url)
    for currency in ("EUR", "GBP", "JPY", "CHF"):
        factories.OrderFactory(customer=customer, currency=currency)

    with django_assert_num_queries(len(one.captured_queries)):
        page = staff_client.get(url).content.decode()

    assert page.count(" + ") >= 4
    grouped = [q["sql"] for q in one.captured_queries if "GROUP BY" in q["sql"]]
    assert any('"orders_order"."currency"' in sql for sql in grouped), grouped
    assert Order.objects.filter(customer=customer).count() == 5


def test_dashboard_revenue_is_per_currency(staff_client, customer, store):
    for total, currency in [("100.00", "USD"), ("20.00", "USD"), ("30.00", "EUR")]:
        factories.OrderFactory(customer=customer, total=Decimal(total), currency=currency)

    response = staff_client.get(reverse("console:dashboard"))

    assert response.context["figures"]["orders"].value == 3
    assert "3 this week · $120.00 + €30.00" in response.content.decode()


def test_the_admin_shows_order_totals_in_their_currency(admin_client, customer):
    factories.OrderFactory(customer=customer, total=Decimal("120.00"), currency="USD")
    factories.OrderFactory(customer=customer, total=Decimal("30.00"), currency="EUR")

    orders = admin_client.get(reverse("admin:orders_order_changelist")).content.decode()
    inline = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    for page in (orders, inline):
        assert "$120.00" in page and "€30.00" in page


def test_product_prices_show_in_their_currency(manager_client, store, customer):
    product = factories.ProductFactory(store=store, price=Decimal("1234.50"))
    review = factories.ReviewFactory(author=customer, subject_type="product", product=product)

    for url in (
        reverse("products:list"),
        reverse("products:detail", args=[product.pk]),
        reverse("reviews:detail", args=[review.pk]),
    ):
        page = manager_client.get(url).content.decode()
        assert "$1,234.50" in page, url
        assert "1234.50 USD" not in page and "1,234.50 USD" not in page, url
