import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from stores.management.commands.create_store import OPTIONS
from stores.services import network_create


def _store_ids(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(
            f"--stores: use store ids separated by commas, like 3,4 (not {value!r})."
        ) from exc


class Command(BaseCommand):
    help = (
        "Create a network (one customer base, loyalty cards and settings shared by its member "
        "stores) with a publishable key (network_…) and a secret key, shown only now."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--stores", default="", help="Member store ids, like 3,4.")
        parser.add_argument("--currency", default="USD", help="ISO 4217 code, like EUR.")
        parser.add_argument("--phone-region", default="US", help="ISO 3166-1 country, like GB.")
        parser.add_argument("--timezone", default="UTC", help="IANA zone, like Europe/London.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, name, stores, currency, phone_region, timezone, **options):
        try:
            created = network_create(
                name=name,
                store_ids=_store_ids(stores),
                currency=currency,
                phone_region=phone_region,
                timezone=timezone,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(
                    f"{OPTIONS.get(field, '--' + field)}: {message}"
                    for field, messages in exc.message_dict.items()
                    for message in messages
                )
            ) from exc
        result = {
            "id": created.network.pk,
            "public_id": created.network.public_id,
            "name": created.network.name,
            "publishable_key": created.publishable_key,
            "secret_key": created.secret_key,
            "stores": [store.pk for store in created.stores],
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        members = ", ".join(f"{store.name} (id {store.pk})" for store in created.stores) or "none"
        self.stdout.write(
            self.style.SUCCESS(f"Created network {result['name']} (id {result['id']}).")
        )
        self.stdout.write(f"  Member stores: {members}")
        self.stdout.write(f"  Publishable key (shopper API): {result['publishable_key']}")
        self.stdout.write(f"  Secret key (management API):   {result['secret_key']}")
        self.stdout.write("Keys are stored hashed: copy them now, they cannot be shown again.")
