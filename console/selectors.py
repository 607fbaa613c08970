"""Figures for the dashboard: the one place that reads across customers, orders and loyalty."""

from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from customers.models import Customer
from loyalty.models import StampEntry
from orders.models import Order


def dashboard_figures(*, store) -> dict:
    """Counts for the dashboard in 3 queries: customers (all, new in the last 7 days), orders
    (all, last 7 days, revenue per currency), stamps given in the last 7 days."""
    week_ago = timezone.now() - timedelta(days=7)
    customers = Customer.objects.filter(store=store).aggregate(
        total=Count("pk"), new_this_week=Count("pk", filter=Q(created_at__gte=week_ago))
    )
    # A row per currency: amounts of two currencies are never added up.
    orders = list(
        Order.objects.filter(store=store)
        .order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            this_week=Count("pk", filter=Q(created_at__gte=week_ago)),
            total=Sum("total", filter=Q(created_at__gte=week_ago)),
        )
        .order_by("-total", "currency")
    )
    stamps = StampEntry.objects.filter(
        enrolment__store=store, kind=StampEntry.Kind.STAMP, created_at__gte=week_ago
    ).aggregate(total=Sum("delta"))["total"]
    return {
        "customers": customers["total"],
        "new_customers_this_week": customers["new_this_week"],
        "orders": sum(row["count"] for row in orders),
        "orders_this_week": sum(row["this_week"] for row in orders),
        # [{"currency", "total"}], the largest first (stores.money.money_totals_format)
        "revenue_this_week": [row for row in orders if row["this_week"]],
        "stamps_this_week": stamps or 0,
    }
