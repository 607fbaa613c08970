"""Pagination for console lists: page and page size from the query string, never an error."""

from django.core.paginator import Paginator

PAGE_SIZES = (25, 50, 100)


def paginate(request, queryset, *, sizes=PAGE_SIZES, count: int | None = None) -> dict:
    """Context for a list page: `page_obj`, `page_range`, `page_size`, `page_sizes`.

    A page size outside `sizes` falls back to the first; a page past the end shows the last.
    `count`, when the caller has counted the rows already, saves the paginator's COUNT.
    """
    try:
        size = int(request.GET.get("per_page", sizes[0]))
    except ValueError:
        size = sizes[0]
    if size not in sizes:
        size = sizes[0]
    paginator = Paginator(queryset, size)
    if count is not None:
        paginator.count = count  # a cached_property: an instance value takes its place
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "page_size": size,
        "page_sizes": sizes,
    }
