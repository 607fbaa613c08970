"""Figures for the dashboard: the one place that reads across customers, orders and loyalty."""

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from customers.models import Customer
from loyalty.models import StampEntry
from orders.models import Order
from stores.counting import count_estimated


def dashboard_figures(*, store) -> dict:
    """Figures for the dashboard: customers (all, new in the last 7 days), orders (all, last 7
    days, revenue per currency), stamps given in the last 7 days. The totals count up to
    settings.COUNT_CAP and are the planner's estimate past it (stores.counting: an exact
    count read every customer of a 1,000,000-customer store on each visit); the week's
    figures read the week's rows through the (store, created_at) indexes."""
    week_ago = timezone.now() - timedelta(days=7)
    customers = Customer.objects.filter(store=store)
    # A network's orders are its member stores' (each store keeps its own in its figures).
    if store.is_network:
        orders = Order.objects.filter(store__network=store)
    else:
        orders = Order.objects.filter(store=store)
    # A row per currency: amounts of two currencies are never added up.
    week = list(
        orders.filter(created_at__gte=week_ago)
        .order_by()
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("-total", "currency")
    )
    week_stamps = StampEntry.objects.filter(kind=StampEntry.Kind.STAMP, created_at__gte=week_ago)
    stamps = week_stamps.filter(enrolment__store=store).aggregate(total=Sum("delta"))["total"]
    if store.network_id:  # and the network's cards stamped at this member store
        stamps = (stamps or 0) + (
            week_stamps.filter(enrolment__store=store.network_id, store=store).aggregate(
                total=Sum("delta")
            )["total"]
            or 0
        )
    return {
        "customers": count_estimated(customers),
        "new_customers_this_week": customers.filter(created_at__gte=week_ago).count(),
        "orders": count_estimated(orders),
        "orders_this_week": sum(row["count"] for row in week),
        # [{"currency", "total"}], the largest first (stores.money.money_totals_format)
        "revenue_this_week": week,
        "stamps_this_week": stamps or 0,
    }
