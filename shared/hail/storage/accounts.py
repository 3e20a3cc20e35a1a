"""Organisations, their members' roles and the style catalogue (administration).

ORG#<org>    / ORG     organisation: name, styles {id: available}, n_published, n_unpublished
USER#<user>  / USER    user: roles {org: role}
STYLE#<id>   / STYLE   style catalogue entry: name, description, preview_url
"""

from botocore.exceptions import ClientError

from hail.errors import NotFound
from hail.storage.base import call, dump, key, load, table


def put_organisation(org_id: str, name: str) -> None:
    """Create an organisation, or rename it; styles and counters are kept."""
    call(
        "update_item",
        TableName=table(),
        Key=key("ORG", org_id),
        UpdateExpression="SET #id = :id, #name = :name, #styles = if_not_exists(#styles, :none)",
        ExpressionAttributeNames={"#id": "id", "#name": "name", "#styles": "styles"},
        ExpressionAttributeValues={":id": {"S": org_id}, ":name": {"S": name}, ":none": {"M": {}}},
    )


def get_organisation(org_id: str) -> dict | None:
    return load(call("get_item", TableName=table(), Key=key("ORG", org_id)).get("Item"))


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
