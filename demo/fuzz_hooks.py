"""Schemathesis hooks for the fuzz runs (tests/test_openapi_fuzz.py imports this module; `make
fuzz` names it in its configuration): a case schemathesis cannot send as it means it is not
generated, so that no failure is reported for a request that never existed.
"""

import schemathesis

FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Drop what cannot be sent as generated, where schemathesis would send a valid request
    instead and report its acceptance as a failure:
    - a form body that is not an object (an array, a number…) has no fields: an empty form;
    - a query parameter generated as an object or a list (none of ours is one) goes out as
      several plain values of that parameter, of which the API reads the last."""
    media_type = (case.media_type or "").split(";")[0].strip().lower()
    if media_type in FORMS and case.body is not None and not isinstance(case.body, dict):
        return False
    return not any(isinstance(value, dict | list) for value in (case.query or {}).values())
