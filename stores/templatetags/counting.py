"""`{{ tally|tally }}`: a stores.counting.Tally as people read it: "1,234", "2,000+" or
"about 1,000,000"."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def tally(value) -> str:
    if value is None:
        return ""
    if value.estimated:  # an estimate says no more than its first two figures
        places = max(len(str(value.value)) - 2, 0)
        return f"about {intcomma(round(value.value, -places))}"
    number = intcomma(value.value)
    if value.at_least:
        return f"{number}+"
    return number
