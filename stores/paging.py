"""Pagination for console lists: page and page size from the query string, never an error."""

from django.core.paginator import Paginator

from stores.counting import Tally, count_cap

PAGE_SIZES = (25, 50, 100)


def page_size(request, sizes=PAGE_SIZES) -> int:
    """The `per_page` asked for, if it is one of `sizes`; else the first."""
    try:
        size = int(request.GET.get("per_page", sizes[0]))
    except ValueError:
        size = sizes[0]
    return size if size in sizes else sizes[0]


def paginate(request, queryset, *, sizes=PAGE_SIZES, tally: Tally | None = None) -> dict:
    """Context for a list page: `page_obj`, `page_range`, `page_size`, `page_sizes`, `tally`.

    A page size outside `sizes` falls back to the first; a page past the end shows the last.
    `tally`, when the caller has counted the rows already (stores.counting), saves the
    paginator's COUNT. A tally that is not exact numbers the pages of the counted rows only
    (the first 2,000 of "2,000+" or of "about 1,000,000"): an OFFSET reads every row it skips,
    and further rows are paged from the last one shown (keyset_page).
    """
    size = page_size(request, sizes)
    paginator = Paginator(queryset, size)
    if tally is not None:
        # A cached_property: an instance value takes its place.
        paginator.count = tally.value if tally.exact else min(tally.value, count_cap())
    else:
        tally = Tally(paginator.count)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "page_size": size,
        "page_sizes": sizes,
        "tally": tally,
    }


def keyset_page(request, queryset, *, sizes=PAGE_SIZES, tally: Tally) -> dict:
    """Context for a page that starts where `queryset` starts (a list filtered to the rows
    after the last one shown): as paginate's, with `has_more` (a row follows the page)."""
    size = page_size(request, sizes)
    rows = list(queryset[: size + 1])
    page = Paginator(rows[:size], size).page(1) if rows else Paginator([], size).page(1)
    return {
        "page_obj": page,
        "page_range": [],
        "page_size": size,
        "page_sizes": sizes,
        "tally": tally,
        "has_more": len(rows) > size,
    }
