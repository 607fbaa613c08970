"""Background jobs: a Celery task enqueued once the current transaction commits.

With CELERY_BROKER_URL set the task goes to the broker and a worker runs it (`make worker`);
without a broker it runs in this process, still after the commit, so `make run` and `make test`
need nothing more. Tasks take ids, never model instances: a worker loads what it needs, and the
row it reads has been committed because the task was enqueued after the commit.
"""

import logging

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)


def broker_configured() -> bool:
    return bool(settings.CELERY_BROKER_URL)


def enqueue(task, *args) -> None:
    """Run `task(*args)` after the current transaction commits (at once outside a transaction);
    nothing runs if it rolls back. A broker that cannot be reached is logged, not raised: the
    writes have committed, and what the task would do is kept in the database (see
    customers.tasks.messages_resend)."""

    # A plain function, not functools.partial: Django logs a robust callback's error with
    # its __qualname__, which a partial lacks (the logging itself raised, after the commit).
    def dispatch():
        _dispatch(task, args)

    if _inside_a_test_case():
        dispatch()
    else:
        transaction.on_commit(dispatch, robust=True)


def _dispatch(task, args: tuple) -> None:
    if broker_configured():
        task.delay(*args)
    else:
        # In-process: Celery's eager mode, retries included (run at once, without the waits).
        task.apply(args=args)


def _inside_a_test_case() -> bool:
    """True inside the transaction Django's TestCase (pytest-django's `django_db`) wraps each
    test in. It never commits, so on_commit would never run the task: there it runs at once,
    as it would after the commit. Inside a transaction of ours within it, that is before the
    commit: a test of the commit itself is a transactional test (`django_db(transaction=True)`),
    where this is False and on_commit does the work, as in production."""
    blocks = connection.atomic_blocks
    return bool(blocks) and getattr(blocks[0], "_from_testcase", False)
