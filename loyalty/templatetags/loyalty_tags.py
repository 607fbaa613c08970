"""Template helpers for the loyalty partials: a QR code, and what an enrolment panel shows."""

import segno
from django import template
from django.utils.safestring import mark_safe

from loyalty.forms import EnrolForm, RedeemForm, StampForm
from loyalty.models import CustomerCard
from loyalty.selectors import available_rewards, progress_percentage, stamps_remaining

register = template.Library()


@register.filter
def qr_svg(value, title="QR code"):
    """`{{ enrolment.code|qr_svg }}`: the value as an inline SVG QR code (segno escapes the
    title; the path data is only coordinates), scaled by CSS (no width/height of its own)."""
    if value in (None, ""):
        return ""
    svg = segno.make(str(value), micro=False).svg_inline(
        omitsize=True, light="#fff", border=2, title=f"{title}: {value}", svgclass="qr-code"
    )
    return mark_safe(svg)


@register.simple_tag
def enrolment_panel(enrolment: CustomerCard) -> dict:
    """What templates/loyalty/_enrolment.html shows of one enrolment, from the card and the
    rewards already loaded with it (no query)."""
    card = enrolment.card
    rewards = list(card.rewards.all())
    available = available_rewards(enrolment, rewards=rewards)
    status = enrolment.effective_status
    count = enrolment.stamps_count
    upcoming = sorted(
        (r for r in rewards if r.active and r.stamps_required > count),
        key=lambda r: r.stamps_required,
    )
    ends = [end for end in (enrolment.expires_at, card.expires_at) if end is not None]
    auto_id = f"id_e{enrolment.pk}_%s"
    return {
        "status": status,
        "status_label": CustomerCard.Status(status).label,
        "is_active": status == CustomerCard.Status.ACTIVE,
        "ends_at": min(ends) if ends else None,
        "percent": progress_percentage(enrolment),
        "remaining": stamps_remaining(enrolment),
        "slots": [index < count for index in range(card.stamps_required)],
        "extra_stamps": max(count - card.stamps_required, 0),
        "available_rewards": available,
        "next_reward": upcoming[0] if upcoming else None,
        "next_reward_in": upcoming[0].stamps_required - count if upcoming else None,
        "stamp_form": StampForm(auto_id=auto_id),
        "redeem_form": RedeemForm(auto_id=auto_id, rewards=available),
    }


@register.simple_tag
def enrol_form(customer, cards):
    """The card select of templates/loyalty/_enrol_form.html."""
    return EnrolForm(auto_id=f"id_enrol{customer.pk}_%s", cards=cards)
