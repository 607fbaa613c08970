"""Events that leave the system (webhooks), emitted by the domain without knowing who listens.

The services call event_emit(store=..., type=..., obj=...) inside their transaction. The app
that delivers them (webhooks) registers, when it is ready, a writer (the outbox) and a payload
builder per event type: the builders present the object as the management API shows it, which
the domain may not import (the layers in pyproject.toml). With no writer registered, nothing
happens.
"""

from collections.abc import Callable

EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer_card.created",
    "customer_card.stamped",
    "customer_card.redeemed",
    "order.created",
    "review.created",
    "review.published",
    "review.hidden",
    "review.deleted",
)

payload_builders: dict[str, Callable[[object], dict]] = {}
_writers: list[Callable] = []


def payload_builder_register(type: str, builder: Callable[[object], dict]) -> None:
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}.")
    payload_builders[type] = builder


def writer_register(writer: Callable) -> None:
    """`writer(store=, type=, build=)` writes the event (once per process)."""
    if writer not in _writers:
        _writers.append(writer)


def event_emit(*, store, type: str, obj) -> None:
    """Hand `obj` to the writers as an event of `type`; call it inside the transaction of the
    change, while `obj` is still in the database (before a delete). A writer builds the payload
    only when someone listens (`build()`)."""
    builder = payload_builders.get(type)
    if builder is None:
        return
    for writer in _writers:
        writer(store=store, type=type, build=lambda: builder(obj))
