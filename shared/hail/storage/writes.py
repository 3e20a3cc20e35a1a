"""One change of the data, all or nothing: the writes it needs, each with the domain error
its failed condition means.

A change of one item is a single conditional write; a change of several is one
TransactWriteItems (twice the write units, so single writes are used whenever they can).
An item's listing rows live under the item's own partition key (`ROWS` below), so the rows
a change adds, replaces or removes are found by comparing the rows before and after.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from botocore.exceptions import ClientError

from hail.errors import BadRequest
from hail.storage.base import call, cancellation, dump, failed_condition, item_key, table, transact

MAX_ACTIONS = 100  # DynamoDB's limit on one transaction

Rows: TypeAlias = dict[
    str, dict[str, Any]
]  # sk -> attributes (plain values) of the rows under one pk
# A condition: (ConditionExpression, its attribute names, its values).
Condition: TypeAlias = tuple[str, dict[str, str], dict[str, Any]]
# What a failed condition means: an error, or a function that works it out (it may read).
Failure: TypeAlias = Exception | Callable[[], Exception] | None


def unchanged(generations: dict[str, int]) -> list[Condition]:
    """Conditions that deletion generations (counters on the organisation, moved by every
    deletion of a kind: see storage/tags.py) still have the values read."""
    found: list[Condition] = []
    for i, (name, seen) in enumerate(generations.items()):
        test = f"#g{i} = :g{i}"
        expression = f"attribute_not_exists(#g{i}) OR {test}" if seen == 0 else test
        found.append((expression, {f"#g{i}": name}, {f":g{i}": seen}))
    return found


@dataclass
class Change:
    actions: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def _add(self, kind: str, body: dict, failure: Failure) -> None:
        self.actions.append({kind: {"TableName": table(), **body}})
        self.failures.append(failure)

    def put(
        self,
        item: dict[str, Any],
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        failure: Failure = None,
    ) -> None:
        """Write a whole item (plain values), on a condition."""
        body: dict[str, Any] = {"Item": dump(item)}
        _conditioned(body, condition, names, values)
        self._add("Put", body, failure)

    def delete(
        self,
        pk: str,
        sk: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        failure: Failure = None,
    ) -> None:
        body: dict[str, Any] = {"Key": item_key(pk, sk)}
        _conditioned(body, condition, names, values)
        self._add("Delete", body, failure)

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        failure: Failure = None,
    ) -> None:
        body: dict[str, Any] = {"Key": item_key(pk, sk), "UpdateExpression": expression}
        _conditioned(body, condition, names, values)
        self._add("Update", body, failure)

    def check(
        self,
        pk: str,
        sk: str,
        condition: str,
        *,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        failure: Failure = None,
    ) -> None:
        body: dict[str, Any] = {"Key": item_key(pk, sk)}
        _conditioned(body, condition, names, values)
        self._add("ConditionCheck", body, failure)

    def org(
        self,
        org_id: str,
        deltas: dict[str, int] | None = None,
        *,
        requires: list[Condition] | None = None,
        failure: Failure = None,
    ) -> None:
        """The one action a change may take on its organisation's item: move counters by
        `deltas`, on the `requires` conditions (each a ConditionExpression with its names
        and values); `failure` if the organisation is gone or a condition fails."""
        moved = {name: delta for name, delta in (deltas or {}).items() if delta}
        required = requires or []
        if not moved and not required:
            return
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        parts = ["attribute_exists(pk)"]
        for expression, more_names, more_values in required:
            parts.append(f"({expression})")
            names.update(more_names)
            values.update(more_values)
        condition = " AND ".join(parts)
        if not moved:
            self.check(
                f"ORG#{org_id}", "ORG", condition, names=names, values=values, failure=failure
            )
            return
        for i, (name, delta) in enumerate(moved.items()):
            names[f"#c{i}"], values[f":d{i}"] = name, delta
        adds = ", ".join(f"#c{i} :d{i}" for i in range(len(moved)))
        self.update(
            f"ORG#{org_id}",
            "ORG",
            f"ADD {adds}",
            condition=condition,
            names=names,
            values=values,
            failure=failure,
        )

    def rows(self, pk: str, old: Rows, new: Rows) -> None:
        """Put the rows that are new or changed, delete the rows that went."""
        for sk, attributes in new.items():
            if old.get(sk) != attributes:
                self.put({"pk": pk, "sk": sk, **attributes})
        for sk in old.keys() - new.keys():
            self.delete(pk, sk)

    def commit(self) -> None:
        """Write it all, or nothing: a failed condition raises its domain error."""
        if not self.actions:
            return
        if len(self.actions) > MAX_ACTIONS:
            raise BadRequest("This change touches too many items at once; make it in steps.")
        if len(self.actions) == 1:
            self._single()
            return
        try:
            transact(self.actions)
        except ClientError as exc:
            for reason, failure in zip(cancellation(exc), self.failures, strict=False):
                if reason == "ConditionalCheckFailed" and failure is not None:
                    raise _error(failure) from exc
            raise

    def _single(self) -> None:
        ((kind, body),) = self.actions[0].items()
        operation = {
            "Put": "put_item",
            "Delete": "delete_item",
            "Update": "update_item",
            "ConditionCheck": None,
        }[kind]
        if operation is None:
            return  # a lone check changes nothing
        try:
            call(operation, **body)
        except ClientError as exc:
            if failed_condition(exc) and self.failures[0] is not None:
                raise _error(self.failures[0]) from exc
            raise


def _error(failure: Exception | Callable[[], Exception]) -> Exception:
    return failure if isinstance(failure, Exception) else failure()


def _conditioned(
    body: dict[str, Any],
    condition: str | None,
    names: dict[str, str] | None,
    values: dict[str, Any] | None,
) -> None:
    if condition:
        body["ConditionExpression"] = condition
    if names:
        body["ExpressionAttributeNames"] = names
    if values:
        body["ExpressionAttributeValues"] = dump(values)
