"""Verified and pending contacts (issue 10, point 6).

- Customer.email_verified_at / phone_verified_at: when the customer proved the email or phone
  with a code (or a provider vouched for the email). Every existing row is left null: nothing
  recorded which of its contacts was proven, so none is taken as verified. A customer's next
  SMS login verifies the phone; social sign-in links to an account only through a verified
  email, so for an existing account it needs that account's Customer-Token once (docs/api.md).
- Customer.pending_email / pending_phone: a change the customer asked for, waiting for its code.
- New choices: the "contact_change" code purpose and two timeline events.

On SQLite, adding the two text columns makes Django rebuild customers_customer, which drops
the triggers of the FTS5 search index (0003); they are made again (and the index rebuilt)
after the columns are added, and again after they are removed when migrating backwards.
"""

from importlib import import_module

from django.db import migrations, models

sqlite_search = import_module("customers.migrations.0003_sqlite_search")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_event_api_key_actor_review_kinds"),
    ]

    operations = [
        # Backwards, this runs last: after the columns are removed (a rebuild on SQLite).
        migrations.RunPython(migrations.RunPython.noop, sqlite_search.create, elidable=False),
        migrations.AddField(
            model_name="customer",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="customer",
            name="pending_email",
            field=models.EmailField(blank=True, editable=False, max_length=254),
        ),
        migrations.AddField(
            model_name="customer",
            name="pending_phone",
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name="customer",
            name="phone_verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="customerevent",
            name="type",
            field=models.CharField(
                choices=[
                    ("created", "Customer created"),
                    ("updated", "Customer updated"),
                    ("deleted", "Customer deleted"),
                    ("closed", "Account closed"),
                    ("registered", "Registered an account"),
                    ("logged_in", "Logged in"),
                    ("password_changed", "Password changed"),
                    ("contact_change_requested", "Contact change requested"),
                    ("contact_changed", "Contact change confirmed"),
                    ("address_added", "Address added"),
                    ("address_updated", "Address updated"),
                    ("address_deleted", "Address deleted"),
                    ("address_default_set", "Default address changed"),
                    ("order_placed", "Order placed"),
                    ("card_enrolled", "Enrolled in a loyalty card"),
                    ("stamps_added", "Stamps added"),
                    ("reward_redeemed", "Reward redeemed"),
                    ("stamps_adjusted", "Stamps adjusted"),
                    ("card_expired", "Loyalty card expired"),
                    ("review_posted", "Review posted"),
                    ("review_published", "Review published"),
                    ("review_hidden", "Review hidden"),
                    ("review_deleted", "Review deleted"),
                    ("note", "Note"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="verificationcode",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("create", "Create an account"),
                    ("login", "Log in"),
                    ("closure", "Close the account"),
                    ("contact_change", "Confirm a new email or phone"),
                ],
                max_length=16,
            ),
        ),
        # Forwards: the table was rebuilt on SQLite, so the search triggers are made again.
        migrations.RunPython(sqlite_search.create, migrations.RunPython.noop, elidable=False),
    ]
