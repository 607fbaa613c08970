"""The wallet links: /wallet/apple/<token>.pkpass and /wallet/google/<token>.

No login: the signed token is the credential. A forged or altered token, an enrolment that no
longer exists, a closed account or a wallet that is not configured all answer 404 with
{"errors": ["…"]}, like the APIs. Nothing is recorded (pass_installed is for a future callback).
"""

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from loyalty import wallet


def _not_found(message: str) -> JsonResponse:
    return JsonResponse({"errors": [message]}, status=404)


def _enrolment_or_none(token: str):
    enrolment = wallet.enrolment_for_token(token)
    if enrolment is None or enrolment.customer.is_closed:
        return None
    return enrolment


@require_safe
@never_cache
def apple_pass(request, token: str):
    if not wallet.apple_wallet_configured():
        return _not_found("Apple Wallet passes are not configured.")
    enrolment = _enrolment_or_none(token)
    if enrolment is None:
        return _not_found("This wallet link is not valid.")
    response = HttpResponse(
        wallet.apple_pass_build(enrolment), content_type=wallet.PKPASS_CONTENT_TYPE
    )
    filename = f"{slugify(enrolment.card.name) or 'loyalty-card'}.pkpass"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_safe
@never_cache
def google_save(request, token: str):
    if not wallet.google_wallet_configured():
        return _not_found("Google Wallet passes are not configured.")
    enrolment = _enrolment_or_none(token)
    if enrolment is None:
        return _not_found("This wallet link is not valid.")
    return HttpResponseRedirect(wallet.google_save_url(enrolment))
