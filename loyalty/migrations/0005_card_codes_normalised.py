"""Card codes set by hand are stored as loyalty.services.card_code_normalise stores them from
now on: in capitals, without the spaces or dashes typed between groups ("ab12-cd34" becomes
"AB12CD34"), so that search finds them however they are typed.

Some codes are left as they are:
- two codes of a store that would become the same code ("x1-y2" and "X1 Y2"), or a code that
  would become one another card of its store already has ("zz-99" beside "ZZ99"): both stay as
  they were, since a store's codes must stay unique and neither card can be told to change;
- a code with other characters than letters and digits once the separators are gone ("ab#1"),
  or longer than 32 letters and digits: there is no stored form to give it.
Codes already in the stored form, which every generated code is (12 digits), are not touched.
"""

import re
from collections import defaultdict

from django.db import migrations

# card_code_normalise's rule as it was when this migration was written (migrations keep their
# own copy: the service may change later, this must not).
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
CHARACTERS = re.compile(r"[0-9A-Za-z]+", re.ASCII)
MAX_LENGTH = 32


def _normalised(code: str) -> str | None:
    compact = SEPARATORS.sub("", code)
    if not compact or len(compact) > MAX_LENGTH or not CHARACTERS.fullmatch(compact):
        return None
    return compact.upper()


def normalise_codes(apps, schema_editor):
    CustomerCard = apps.get_model("loyalty", "CustomerCard")
    # Only the codes not in the stored form already are read (a few, typed by hand).
    typed = CustomerCard.objects.exclude(code__regex=r"^[0-9A-Z]+$").order_by("pk")
    wanted = defaultdict(list)  # (store, code it would become) -> the cards that would
    for pk, store_id, code in typed.values_list("pk", "store_id", "code").iterator():
        new = _normalised(code)
        if new is not None:
            wanted[(store_id, new)].append(pk)
    for (store_id, new), pks in wanted.items():
        if len(pks) > 1 or CustomerCard.objects.filter(store_id=store_id, code=new).exists():
            continue  # a collision: every card involved keeps its code
        CustomerCard.objects.filter(pk=pks[0]).update(code=new)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0004_daily_limit_cap"),
    ]

    operations = [
        migrations.RunPython(normalise_codes, migrations.RunPython.noop, elidable=True),
    ]
