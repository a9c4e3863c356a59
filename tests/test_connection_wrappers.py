"""A database connection outlives its request, and so do the execute wrappers on it.

Found by bench/multinode.py (gunicorn threads on PostgreSQL, connections kept for CONN_MAX_AGE):
a connection made during a signed-out visitor's request (``csp.budget``'s wrapper in place)
got csp.caching's write watcher appended after the budget, and the budget's block, ending, popped
the last wrapper: the watcher went and the budget stayed on the connection. Every later request
on it, a member's too, then answered a 500 once that old budget was spent, and no write changed
the cache's token (members shown stale pages).
"""

from __future__ import annotations

import pytest
from django.db import connection

from csp import caching
from csp.budget import BudgetExceeded, RequestBudget
from csp.models import Plan


@pytest.fixture
def unwatched_connection(db):
    """The connection as it is just before it is made: no wrapper yet."""
    wrappers = connection.execute_wrappers
    saved = list(wrappers)
    wrappers.clear()
    yield connection
    wrappers[:] = saved


def test_a_connection_made_inside_a_budget_keeps_its_watcher_and_loses_the_budget(
    unwatched_connection,
):
    budget = RequestBudget(1e-9)  # spent at once
    with budget.applied():
        # What connection_created does when the request's first statement opens the connection.
        caching.install(None, unwatched_connection)
    assert unwatched_connection.execute_wrappers == [caching.watch_writes]
    # The next request, a member's: no budget left behind to refuse it.
    assert Plan.objects.count() == 0


def test_the_watcher_wraps_every_other_wrapper(unwatched_connection):
    budget = RequestBudget(60)
    with budget.applied():
        caching.install(None, unwatched_connection)
        assert unwatched_connection.execute_wrappers == [caching.watch_writes, budget]


def test_a_spent_budget_still_refuses_statements_inside_its_own_block(unwatched_connection):
    caching.install(None, unwatched_connection)
    with pytest.raises(BudgetExceeded), RequestBudget(1e-9).applied():
        Plan.objects.count()
    assert unwatched_connection.execute_wrappers == [caching.watch_writes]
