import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from stores.services import store_create

# The option that sets each field, to name it in an error.
OPTIONS = {"phone_region": "--phone-region", "currency": "--currency", "timezone": "--timezone"}


class Command(BaseCommand):
    help = "Create a store with a publishable and a secret key (shown only now, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--currency", default="USD", help="ISO 4217 code, like EUR.")
        parser.add_argument(
            "--phone-region",
            default="US",
            help="The store's country (ISO 3166-1, like GB): phones without a country code "
            "are read as its numbers.",
        )
        parser.add_argument("--timezone", default="UTC", help="IANA zone, like Europe/London.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, name, currency, phone_region, timezone, **options):
        try:
            created = store_create(
                name=name, currency=currency, phone_region=phone_region, timezone=timezone
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(
                    f"{OPTIONS.get(field, field)}: {message}"
                    for field, messages in exc.message_dict.items()
                    for message in messages
                )
            ) from exc
        result = {
            "id": created.store.pk,
            "public_id": created.store.public_id,
            "name": created.store.name,
            "publishable_key": created.publishable_key,
            "secret_key": created.secret_key,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            self.style.SUCCESS(f"Created store {result['name']} (id {result['id']}).")
        )
        self.stdout.write(f"  Publishable key (shopper API): {result['publishable_key']}")
        self.stdout.write(f"  Secret key (management API):   {result['secret_key']}")
        self.stdout.write("Keys are stored hashed: copy them now, they cannot be shown again.")
