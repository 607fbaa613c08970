"""{% load money %}: {{ order.total|money:order.currency }} → "$12.50"; {{ spent|money_totals:
store.currency }} → "$120.00 + €30.00" (see stores.money)."""

from django import template

from stores.money import money_format, money_totals_format

register = template.Library()


@register.filter
def money(amount, currency):
    return money_format(amount, currency)


@register.filter
def money_totals(totals, currency=""):
    return money_totals_format(totals, currency)
