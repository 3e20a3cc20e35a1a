"""Preview tokens and sessions (only their hashes), and what a page view reads."""

from collections.abc import Iterable

from botocore.exceptions import ClientError

from hail.records import Publication
from hail.storage.base import batch_get, call, dump, key, table
from hail.storage.publications import record

# ------------------------------------------------------ previews and pages ---
#
#     PREVIEW#<sha256 of token>  / PREVIEW  publication_id, expires (epoch s), used, ttl
#     SESSION#<sha256 of id>     / SESSION  publication_id, expires (epoch s), ttl
#
# Only hashes of tokens and session ids are stored. `ttl` lets DynamoDB delete old items;
# expiry itself is always checked by the reads and writes below, never left to TTL.


def put_preview(token_hash: str, publication_id: str, expires: int) -> None:
    call(
        "put_item",
        TableName=table(),
        Item=dump(
            {
                "pk": f"PREVIEW#{token_hash}",
                "sk": "PREVIEW",
                "publication_id": publication_id,
                "expires": expires,
                "used": False,
                "ttl": expires,
            }
        ),
        ConditionExpression="attribute_not_exists(pk)",
    )


def spend_preview(
    token_hash: str, publication_id: str, now: int, session_hash: str, session_expires: int
) -> bool:
    """Mark a preview token used and create the session it grants, in one transaction.
    False (and nothing written) if the token is unknown, used, expired or for another
    publication: of two simultaneous visits, exactly one gets the session."""
    try:
        call(
            "transact_write_items",
            TransactItems=[
                {
                    "Update": {
                        "TableName": table(),
                        "Key": key("PREVIEW", token_hash),
                        "UpdateExpression": "SET #used = :true, #used_at = :now",
                        "ConditionExpression": "attribute_exists(pk) AND #used = :false "
                        "AND #expires > :now AND #pub = :pub",
                        "ExpressionAttributeNames": {
                            "#used": "used",
                            "#used_at": "used_at",
                            "#expires": "expires",
                            "#pub": "publication_id",
                        },
                        "ExpressionAttributeValues": {
                            ":true": {"BOOL": True},
                            ":false": {"BOOL": False},
                            ":now": {"N": str(now)},
                            ":pub": {"S": publication_id},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": table(),
                        "Item": dump(
                            {
                                "pk": f"SESSION#{session_hash}",
                                "sk": "SESSION",
                                "publication_id": publication_id,
                                "expires": session_expires,
                                "ttl": session_expires,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ],
        )
    except ClientError as exc:
        # A failed condition, or another visit with the same token written at this moment
        # (TransactionConflict): either way this visit does not get a session.
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def get_page(
    publication_id: str, session_hashes: Iterable[str]
) -> tuple[Publication | None, list[dict]]:
    """A publication and the named preview sessions, in one BatchGetItem round trip."""
    items = batch_get([("PUB", publication_id), *(("SESSION", h) for h in session_hashes)])
    pub = next((item for item in items if item["sk"] == "PUB"), None)
    return record(pub), [item for item in items if item["sk"] == "SESSION"]
