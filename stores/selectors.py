"""Reads about accounts: a network's member stores, and the store a request names."""

from django.core.exceptions import ValidationError

from stores.models import Store


def member_stores(account: Store) -> list[Store]:
    """A network's member stores by name (a store has none)."""
    if not account.is_network:
        return []
    return list(account.member_stores.order_by("name", "id"))


def store_of_account(account: Store, public_id: str | None, *, required: bool) -> Store | None:
    """The store where something happens, named by its `store_…` id: for a network, one of its
    member stores (required when `required`); for a store, itself (naming another store is an
    error). ValidationError on "store"."""
    if not public_id:
        if account.is_network and required:
            raise ValidationError(
                {"store": ["Name the member store (its store_… id): this key is a network's."]}
            )
        return None if account.is_network else account
    if not account.is_network:
        if public_id != account.public_id:
            raise ValidationError({"store": ["This key's store is the only store here."]})
        return account
    store = Store.objects.filter(
        public_id=public_id, network=account, kind=Store.Kind.STORE
    ).first()
    if store is None:
        raise ValidationError({"store": ["No member store of this network has this id."]})
    return store
