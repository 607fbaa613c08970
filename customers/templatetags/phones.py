"""`{{ customer.phone|phone:access.store }}`: a stored phone as staff read it.

Only the text shown changes; `tel:` links and exports keep the stored E.164 value.
"""

from django import template

from customers.phones import format_phone_display

register = template.Library()


@register.filter
def phone(value, store=None) -> str:
    """National format for numbers of the store's country, international for the others.
    `store` is a Store (its phone_region) or a region code such as "US"."""
    region = getattr(store, "phone_region", store)
    return format_phone_display(value or "", region if isinstance(region, str) else None)
