"""What several routers share: list parameters as a request gives them."""

import json
from collections.abc import Mapping

from fastapi import Request

from hail.errors import BadRequest


async def list_parameters(request: Request) -> Mapping[str, str]:
    """The query string; or, when it is empty and the body is a JSON object, the body (old
    Hail clients send a list's filters as a JSON body on GET)."""
    if request.query_params or request.method != "GET":
        return request.query_params
    raw = await request.body()
    if not raw.strip():
        return request.query_params
    try:
        given = json.loads(raw)
    except ValueError:
        return request.query_params
    if not isinstance(given, dict):
        return request.query_params
    return {str(k): _text(v) for k, v in given.items() if v is not None}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def short_gallery_limit(given: Mapping[str, str], default: int, most: int) -> int:
    raw = given.get("short_gallery_limit")
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not 0 <= int(raw) <= most:
        raise BadRequest(
            f"The 'short_gallery_limit' parameter must be a whole number from 0 to {most}."
        )
    return int(raw)
