import django.db.models.deletion
from django.db import migrations, models


def entries_at_their_store(apps, schema_editor):
    """Every entry written before networks was made at its card's own store (a network's
    cards are newer than this field: they keep null, "the network itself")."""
    StampEntry = apps.get_model("loyalty", "StampEntry")
    CustomerCard = apps.get_model("loyalty", "CustomerCard")
    card_store = CustomerCard.objects.filter(
        pk=models.OuterRef("enrolment_id"), store__kind="store"
    ).values("store_id")[:1]
    StampEntry.objects.filter(store__isnull=True).update(store_id=models.Subquery(card_store))


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0006_enrolment_code_index"),
        ("stores", "0004_networks"),
    ]

    operations = [
        migrations.AddField(
            model_name="stampentry",
            name="store",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="stores.store",
            ),
        ),
        migrations.RunPython(entries_at_their_store, migrations.RunPython.noop, elidable=True),
    ]
