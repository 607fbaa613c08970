"""`{{ tally|tally }}`: a stores.counting.Tally as people read it: "1,234", "2,000+" or
"about 1,000,000"."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def tally(value) -> str:
    if value is None:
        return ""
    number = intcomma(value.value)
    if value.estimated:
        return f"about {number}"
    if value.at_least:
        return f"{number}+"
    return number
