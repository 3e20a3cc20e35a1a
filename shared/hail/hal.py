"""Plain JSON as in the Hail docs, or HAL (application/hal+json) when the client asks for it;
lists with their `next` link, gzip-compressed when the client accepts it, and never more
than one Lambda response can carry."""

import gzip
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hail.errors import BadRequest, accepts

HAL = "application/hal+json"
# A Lambda proxy response is at most 6 MB of JSON, the body inside it escaped (a compressed
# body travels as base64: 4/3 of its size). These leave room for headers and escaping.
MAX_BODY = 5_000_000
MAX_COMPRESSED = 4_000_000
COMPRESS_FROM = 1400  # bytes: smaller answers go as they are


def wants_hal(request: Request) -> bool:
    return accepts(request.headers.get("accept"), HAL)


def _accepts_gzip(request: Request) -> bool:
    for part in (request.headers.get("accept-encoding") or "").split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() in ("gzip", "*"):
            return not any(p.replace(" ", "") in ("q=0", "q=0.0") for p in params)
    return False


def resource(
    request: Request,
    body: dict,
    links: dict,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_hal(request):
        return JSONResponse({**body, "_links": links}, status, headers, media_type=HAL)
    return JSONResponse(body, status, headers)


def collection(
    request: Request,
    name: str,
    items: list[tuple[dict, dict]],
    self_href: str,
    next_href: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """`items` pairs each body with its links. A next page is also announced in `Link`."""
    headers = {"Link": f'<{next_href}>; rel="next"'} if next_href else {}
    if wants_hal(request):
        links: dict[str, Any] = {"self": {"href": self_href}}
        if next_href:
            links["next"] = {"href": next_href}
        doc: Any = {
            "_embedded": {name: [{**body, "_links": item_links} for body, item_links in items]},
            "_links": links,
            **(extra or {}),
        }
        media_type = HAL
    else:
        doc, media_type = [body for body, _ in items], "application/json"
    return _sized(request, doc, media_type, headers)


def _sized(request: Request, doc: Any, media_type: str, headers: dict[str, str]) -> Response:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    if len(body) >= COMPRESS_FROM and _accepts_gzip(request):
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        if len(packed) > MAX_COMPRESSED:
            raise too_long()
        headers = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(packed, 200, headers, media_type=media_type)
    if len(body) > MAX_BODY:
        raise too_long()
    if len(body) >= COMPRESS_FROM:
        headers = {**headers, "Vary": "Accept-Encoding"}
    return Response(body, 200, headers, media_type=media_type)


def too_long() -> BadRequest:
    return BadRequest(
        "The list is too long for one response; page through it with 'limit' (and the 'next' "
        "links), or accept gzip (Accept-Encoding: gzip) to get more at once."
    )


def page_links(request: Request, base: str, next_cursor: str | None) -> tuple[str, str | None]:
    """(self, next) hrefs of a list page: `next` keeps the other parameters."""
    query = f"?{request.url.query}" if request.url.query else ""
    self_href = f"{base}{request.url.path}{query}"
    if not next_cursor:
        return self_href, None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    return self_href, f"{base}{request.url.path}?{urlencode([*kept, ('offset', next_cursor)])}"


# ------------------------------------------------------------------- links ---


def publication_links(base: str, pub: dict) -> dict:
    api = f"{base}/v1/publications/{pub['id']}"
    return {
        "self": {"href": api},
        "organisation_publications": {
            "href": f"{base}/v1/organisations/{pub['org_id']}/publications"
        },
        "articles": {"href": f"{api}/articles"},
        "watch": {"href": f"{api}/watch"},
        "preview": {"href": f"{api}/preview"},
        "connections": {"href": f"{api}/connections"},
        "html": {"href": f"{base}/p/{pub['id']}", "type": "text/html"},
    }


def article_links(base: str, article: dict) -> dict:
    api = f"{base}/v1/articles/{article['id']}"
    return {
        "self": {"href": api},
        "organisation_articles": {"href": f"{base}/v1/organisations/{article['org_id']}/articles"},
        "images": {"href": f"{api}/images"},
        "videos": {"href": f"{api}/videos"},
        "html": {"href": f"{base}/a/{article['id']}", "type": "text/html"},
    }


def tag_links(base: str, tag: dict) -> dict:
    kind = "private-tags" if tag["private"] else "tags"
    api = f"{base}/v1/{kind}/{tag['id']}"
    return {
        "self": {"href": api},
        "articles": {"href": f"{api}/articles"},
        "organisation_tags": {"href": f"{base}/v1/organisations/{tag['org_id']}/{kind}"},
    }
