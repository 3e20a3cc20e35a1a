"""Make moto's DynamoDB writes atomic, as DynamoDB's are.

moto checks a ConditionExpression and then writes, with nothing in between to stop another
thread: two simultaneous conditional writes of one item can both succeed, which DynamoDB
never allows. The local run and the tests race requests on purpose (exactly one of several
simultaneous pushes must be accepted), so every moto DynamoDB write is serialised here.
moto's server runs in this process too (hail_tools.embedded), so this covers it as well.
"""

import functools
import threading
from typing import Any

_lock = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def serialise_dynamodb_writes() -> None:
    """Patch moto's DynamoDB backend once; later calls do nothing."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        method = getattr(DynamoDBBackend, name)
        if getattr(method, "_hail_serialised", False):
            continue

        def serialised(*args: Any, __method: Any = method, **kwargs: Any) -> Any:
            with _lock:
                return __method(*args, **kwargs)

        functools.update_wrapper(serialised, method)
        serialised._hail_serialised = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, serialised)
