"""Users, organisations, their members' roles and the style catalogue.

ORG#<org>    / ORG     organisation: name, styles {id: available}, counters (c_<KIND>_...),
                       created_date and its profile (ORG_FIELDS: slug, email, URLs, avatars,
                       country {code, name}, is_suspended, active_subscription, ...)
USER#<user>  / USER    user: roles {org: role}, sign_up_date and the profile (USER_FIELDS:
                       email, names, avatar_url, last_active_date, email preferences)
STYLE#<id>   / STYLE   style catalogue entry: name, description, preview_url
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from hail.errors import NotFound
from hail.storage.base import (
    SERIALIZER,
    batch_get,
    call,
    dump,
    failed_condition,
    key,
    load,
    table,
)

USER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "avatar_url",
    "last_active_date",
    "wants_organisation_emails",
    "wants_promotion_emails",
)
ORG_FIELDS = (
    "slug",
    "email",
    "website_url",
    "facebook_url",
    "twitter_username",
    "youtube_url",
    "google_url",
    "privacy_policy_url",
    "terms_url",
    "avatar_url",
    "small_avatar_url",
    "country",
    "is_suspended",
    "active_subscription",
    "active_credit_card",
)


def _update(
    kind: str,
    ident: str,
    changes: Mapping[str, Any],
    allowed: tuple[str, ...],
    *,
    initial: Mapping[str, Any],
    must_exist: bool = False,
) -> None:
    """One UpdateItem: SET the changed fields (REMOVE those given as None) and, when the
    item is new, its `initial` attributes; `must_exist` refuses to create it (NotFound)."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    names: dict[str, str] = {"#id": "id"}
    values: dict[str, Any] = {":id": {"S": ident}}
    sets, removes = ["#id = :id"], []
    for i, (field, value) in enumerate(changes.items()):
        names[f"#f{i}"] = field
        if value is None:
            removes.append(f"#f{i}")
        else:
            values[f":f{i}"] = SERIALIZER.serialize(value)
            sets.append(f"#f{i} = :f{i}")
    for i, (field, value) in enumerate(initial.items()):
        names[f"#i{i}"] = field
        values[f":i{i}"] = SERIALIZER.serialize(value)
        sets.append(f"#i{i} = if_not_exists(#i{i}, :i{i})")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    request: dict[str, Any] = {
        "TableName": table(),
        "Key": key(kind, ident),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if must_exist:
        request["ConditionExpression"] = "attribute_exists(pk)"
    try:
        call("update_item", **request)
    except ClientError as exc:
        if must_exist and failed_condition(exc):
            label = "organisation" if kind == "ORG" else "user"
            raise NotFound(f"No {label} with id '{ident}'.") from exc
        raise


# ------------------------------------------------------------------ organisations ---


def put_organisation(
    org_id: str, name: str, profile: Mapping[str, Any] | None = None, *, now: str | None = None
) -> None:
    """Create an organisation, or rename it (and set the `profile` fields given, None
    removing one); styles, counters and the creation date are kept."""
    created = now or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    initial = {"styles": {}, "created_date": created}
    _update(
        "ORG", org_id, {"name": name, **(profile or {})}, ("name", *ORG_FIELDS), initial=initial
    )


def update_organisation(org_id: str, changes: Mapping[str, Any]) -> None:
    """Change an existing organisation's name or profile fields (None removes one)."""
    _update("ORG", org_id, changes, ("name", *ORG_FIELDS), initial={}, must_exist=True)


def get_organisation(org_id: str) -> dict | None:
    return load(call("get_item", TableName=table(), Key=key("ORG", org_id)).get("Item"))


def get_organisations(org_ids: Iterable[str]) -> list[dict]:
    """The organisations that exist among `org_ids` (one BatchGetItem per 100)."""
    return batch_get(("ORG", org_id) for org_id in dict.fromkeys(org_ids))


# -------------------------------------------------------------------------- users ---


def get_user(user_id: str) -> dict | None:
    return load(call("get_item", TableName=table(), Key=key("USER", user_id)).get("Item"))


def get_user_with(
    user_id: str, *, other_user: str | None = None, org_id: str | None = None
) -> tuple[dict | None, dict | None]:
    """A user and, in the same round trip, another user or an organisation (or None)."""
    wanted = [("USER", user_id)]
    if other_user is not None:
        wanted.append(("USER", other_user))
    elif org_id is not None:
        wanted.append(("ORG", org_id))
    found = {item["pk"]: item for item in batch_get(wanted)}
    other_key = f"USER#{other_user}" if other_user is not None else f"ORG#{org_id}"
    return found.get(f"USER#{user_id}"), found.get(other_key)


def update_user(user_id: str, changes: Mapping[str, Any]) -> None:
    """Change an existing user's profile fields (None removes one)."""
    _update("USER", user_id, changes, USER_FIELDS, initial={}, must_exist=True)


def put_user(user_id: str, profile: Mapping[str, Any], *, now: str) -> None:
    """Create a user or change their profile (None removes a field); their roles and
    sign-up date are kept."""
    _update("USER", user_id, profile, USER_FIELDS, initial={"roles": {}, "sign_up_date": now})


def set_member(org_id: str, user_id: str, role: str | None) -> None:
    """Give a user a role in an organisation, or (role None) remove them from it."""
    if role is None:
        try:
            call(
                "update_item",
                TableName=table(),
                Key=key("USER", user_id),
                UpdateExpression="REMOVE #roles.#org",
                ConditionExpression="attribute_exists(#roles.#org)",
                ExpressionAttributeNames={"#roles": "roles", "#org": org_id},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"'{user_id}' is not a member of '{org_id}'.") from exc
            raise
        return
    # The roles map must exist before a key can be set in it: create it first if needed.
    call(
        "update_item",
        TableName=table(),
        Key=key("USER", user_id),
        UpdateExpression="SET #id = :id, #roles = if_not_exists(#roles, :none)",
        ExpressionAttributeNames={"#id": "id", "#roles": "roles"},
        ExpressionAttributeValues={":id": {"S": user_id}, ":none": {"M": {}}},
    )
    call(
        "update_item",
        TableName=table(),
        Key=key("USER", user_id),
        UpdateExpression="SET #roles.#org = :role",
        ExpressionAttributeNames={"#roles": "roles", "#org": org_id},
        ExpressionAttributeValues={":role": {"S": role}},
    )


def put_style(style_id: str, name: str, description: str, preview_url: str) -> None:
    call(
        "put_item",
        TableName=table(),
        Item=dump(
            {
                "pk": f"STYLE#{style_id}",
                "sk": "STYLE",
                "id": style_id,
                "name": name,
                "description": description,
                "preview_url": preview_url,
            }
        ),
    )


def set_org_style(org_id: str, style_id: str, available: bool) -> None:
    try:
        call(
            "update_item",
            TableName=table(),
            Key=key("ORG", org_id),
            UpdateExpression="SET #styles.#style = :available",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#styles": "styles", "#style": style_id},
            ExpressionAttributeValues={":available": {"BOOL": available}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(f"No organisation with id '{org_id}'.") from exc
        raise
