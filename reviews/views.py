"""Storefront → Reviews (managers moderate) and Products (every member sees their ratings).

Views parse and present; every write is a reviews.services call, every page is limited to the
current store (another store's review or product is a 404, its ids in a bulk action are ignored)
and every moderation action checks the permission again.
"""

from django.contrib import messages
from django.db.models import Avg, Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from reviews.forms import (
    BULK_ACTIONS,
    DEFAULT_SORT,
    PRODUCT_SORTS,
    SORT_LABELS,
    ProductFilterForm,
    ReviewBulkForm,
    ReviewFilterForm,
    ReviewStatusForm,
)
from reviews.models import Review, ReviewMedia
from reviews.selectors import (
    rating_summary,
    review_list_for_console,
    reviews_for,
    reviews_sorted,
)
from reviews.services import reviews_delete, reviews_set_status
from stores.access import console_view, require
from stores.models import Product
from stores.paging import paginate

VOTERS_SHOWN = 50
LATEST_REVIEWS = 10
PUBLISHED = Review.Status.PUBLISHED
ACTION_STATUS = {"hide": Review.Status.HIDDEN, "publish": Review.Status.PUBLISHED}
ACTION_DONE = {"hide": "hidden", "publish": "published", "delete": "deleted"}
# Query-string keys that do not narrow the list (the empty state says "no reviews yet").
NOT_FILTERS = ("page", "per_page", "sort", "select")


def _is_results_request(request) -> bool:
    return bool(request.headers.get("HX-Request")) and request.headers.get("HX-Target") == "results"


def _plural(count: int, word: str = "review") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# A sortable column: the orders it cycles through when clicked, each with its arrow.
REVIEW_COLUMNS = {
    "rating": (("highest", "down"), ("lowest", "up")),
    "helpful": (("helpful", "down"),),
    "date": (("newest", "down"), ("oldest", "up")),
}
PRODUCT_COLUMNS = {
    "name": (("name", "up"), ("-name", "down")),
    "price": (("price", "up"), ("-price", "down")),
    "rating": (("-rating", "down"), ("rating", "up")),
    "reviews": (("-reviews", "down"), ("reviews", "up")),
}


def _sort_links(sort: str, columns: dict) -> dict:
    """For each column header: the order a click asks for, and the arrow when it is the
    current order."""
    links = {}
    for column, cycle in columns.items():
        keys = [key for key, _arrow in cycle]
        if sort in keys:
            at = keys.index(sort)
            links[column] = {"next": keys[(at + 1) % len(keys)], "arrow": cycle[at][1]}
        else:
            links[column] = {"next": keys[0], "arrow": None}
    return links


# --- Reviews --------------------------------------------------------------------------------


def _review(request, pk) -> Review:
    """A review of the current store; another store's review is a 404."""
    return get_object_or_404(
        Review.objects.select_related("author", "product"), pk=pk, store=request.access.store
    )


def _filtered_reviews(request):
    store = request.access.store
    form = ReviewFilterForm(request.GET or None, store=store)
    filters = form.filters() if request.GET else {}
    sort = filters.get("sort") or DEFAULT_SORT
    return form, review_list_for_console(store=store, filters={**filters, "sort": sort}), sort


@console_view("moderate_reviews")
def review_list(request):
    form, queryset, sort = _filtered_reviews(request)
    context = {
        "form": form,
        "sort": sort,
        "sort_labels": SORT_LABELS,
        "sort_links": _sort_links(sort, REVIEW_COLUMNS),
        "bulk_actions": BULK_ACTIONS,
        "select_page": request.GET.get("select") == "page",
        "filtered": any(v for k, v in request.GET.items() if k not in NOT_FILTERS),
        "partial": _is_results_request(request),
        **paginate(request, queryset),
    }
    if context["partial"]:
        return render(request, "reviews/_results.html", context)
    return render(request, "reviews/review_list.html", context)


def _back(request, default: str) -> str:
    """Where to go after an action: the list with its filters, if the form said so."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _moderate(request, reviews: list[Review], action: str) -> int:
    """Hide, publish or delete `reviews` (of the current store) in one transaction; how many
    changed. The permission is checked here too, whichever view asks."""
    require(request, "moderate_reviews")
    if action == "delete":
        return reviews_delete(reviews=reviews, actor_user=request.user)
    return reviews_set_status(
        reviews=reviews, status=ACTION_STATUS[action], actor_user=request.user
    )


@require_POST
@console_view("moderate_reviews")
def review_bulk(request):
    """The list's bulk action. Deleting shows a confirmation page first; only its `confirm=yes`
    deletes (the server never relies on a script having asked)."""
    require(request, "moderate_reviews")
    back = _back(request, reverse("reviews:list"))
    form = ReviewBulkForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(error for errors in form.errors.values() for error in errors)
        )
        return redirect(back)
    action = form.cleaned_data["action"]
    # Ids of another store's reviews (or of deleted ones) are dropped here, never touched.
    reviews = list(
        Review.objects.filter(store=request.access.store, pk__in=form.cleaned_data["ids"])
        .select_related("author", "product")
        .prefetch_related("media")
        .order_by("-created_at", "-id")
    )
    if not reviews:
        messages.error(request, "None of the ticked reviews is in this store any more.")
        return redirect(back)
    if action == "delete" and not form.confirmed:
        return render(
            request,
            "reviews/review_confirm_delete.html",
            {
                "reviews": reviews,
                "media_total": sum(len(review.media.all()) for review in reviews),
                "any_published": any(review.status == PUBLISHED for review in reviews),
                "action_url": reverse("reviews:bulk"),
                "back": back,
            },
        )
    changed = _moderate(request, reviews, action)
    done, unchanged = ACTION_DONE[action], len(reviews) - changed
    if not unchanged:
        text = f"{_plural(changed)} {done}."
    elif not changed:
        text = (
            f"The {unchanged} reviews were already {done}."
            if unchanged > 1
            else f"The review was already {done}."
        )
    else:
        text = (
            f"{_plural(changed)} {done}; {unchanged} already {'was' if unchanged == 1 else 'were'}."
        )
    messages.success(request, text)
    return redirect(back)


@console_view("moderate_reviews")
def review_detail(request, pk):
    review = _review(request, pk)
    voters = review.votes.select_related("customer").order_by("-created_at", "-id")
    media = list(review.media.all())
    videos = sum(1 for item in media if item.kind == ReviewMedia.Kind.VIDEO)
    context = {
        "review": review,
        "media": media,
        "photo_count": len(media) - videos,
        "video_count": videos,
        "helpful_votes": list(voters.filter(value=1)[:VOTERS_SHOWN]),
        "unhelpful_votes": list(voters.filter(value=-1)[:VOTERS_SHOWN]),
        "voters_shown": VOTERS_SHOWN,
    }
    return render(request, "reviews/review_detail.html", context)


@require_POST
@console_view("moderate_reviews")
def review_status(request, pk):
    review = _review(request, pk)
    form = ReviewStatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        action = "hide" if status == Review.Status.HIDDEN else "publish"
        if _moderate(request, [review], action):
            messages.success(request, f"Review {ACTION_DONE[action]}.")
        else:
            messages.info(request, f"The review was already {ACTION_DONE[action]}.")
    else:
        messages.error(request, "Choose published or hidden.")
    return redirect(_back(request, reverse("reviews:detail", args=[review.pk])))


@console_view("moderate_reviews")
def review_delete_view(request, pk):
    """GET (or a POST without `confirm=yes`) asks; the confirmation page's POST deletes."""
    review = _review(request, pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        _moderate(request, [review], "delete")
        messages.success(request, "Review deleted.")
        return redirect(_back(request, reverse("reviews:list")))
    context = {
        "review": review,
        "reviews": [review],
        "media_total": review.media.count(),
        "any_published": review.status == PUBLISHED,
        "action_url": reverse("reviews:delete", args=[review.pk]),
        "back": reverse("reviews:list"),
        "cancel": reverse("reviews:detail", args=[review.pk]),
    }
    return render(request, "reviews/review_confirm_delete.html", context)


# --- Products -------------------------------------------------------------------------------


def _histogram_rows(summary) -> list[dict]:
    """The bars, 5 stars first, each with its share of the reviews in percent."""
    total = summary["count"]
    rows = []
    for stars in range(5, 0, -1):
        count = summary["histogram"][str(stars)]
        rows.append(
            {"stars": stars, "count": count, "percent": round(100 * count / total) if total else 0}
        )
    return rows


def _star_icons(average) -> list[str]:
    """Five Bootstrap icon names for an average, to the nearest half star."""
    halves = round((average or 0) * 2)
    return [
        "bi-star-fill" if halves >= 2 * n else "bi-star-half" if halves == 2 * n - 1 else "bi-star"
        for n in range(1, 6)
    ]


def _product(request, pk) -> Product:
    """A product of the current store; another store's product is a 404."""
    return get_object_or_404(Product, pk=pk, store=request.access.store)


@console_view()
def product_list(request):
    form = ProductFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    published = Q(reviews__status=PUBLISHED)
    # The page's averages and counts come with its rows: one GROUP BY, whatever the page size.
    queryset = Product.objects.filter(store=request.access.store).annotate(
        rating_average=Avg("reviews__rating", filter=published),
        rating_count=Count("reviews", filter=published),
    )
    for word in filters.get("q", "").split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(sku__icontains=word))
    if filters.get("active") == "yes":
        queryset = queryset.filter(active=True)
    elif filters.get("active") == "no":
        queryset = queryset.filter(active=False)
    sort = filters.get("sort") or "name"
    context = {
        "form": form,
        "sort": sort,
        "sort_links": _sort_links(sort, PRODUCT_COLUMNS),
        "filtered": any(v for k, v in request.GET.items() if k not in NOT_FILTERS),
        "partial": _is_results_request(request),
        **paginate(request, queryset.order_by(*PRODUCT_SORTS[sort])),
    }
    if context["partial"]:
        return render(request, "reviews/_product_results.html", context)
    return render(request, "reviews/product_list.html", context)


@console_view()
def product_detail(request, pk):
    product = _product(request, pk)
    store = request.access.store
    summary = rating_summary(reviews_for(store, product))
    latest = reviews_sorted(reviews_for(store, product, published_only=False), "newest")
    context = {
        "product": product,
        "summary": summary,
        "histogram": _histogram_rows(summary),
        "star_icons": _star_icons(summary["average"]),
        "latest": list(latest[:LATEST_REVIEWS]),
        "latest_shown": LATEST_REVIEWS,
    }
    return render(request, "reviews/product_detail.html", context)
