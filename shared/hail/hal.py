"""Plain JSON as in the Hail docs, or HAL (application/hal+json) when the client asks for it."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hail.errors import accepts

HAL = "application/hal+json"


def wants_hal(request: Request) -> bool:
    return accepts(request.headers.get("accept"), HAL)


def publication_links(base: str, pub: dict) -> dict:
    api = f"{base}/v1/publications/{pub['id']}"
    return {
        "self": {"href": api},
        "organisation_publications": {
            "href": f"{base}/v1/organisations/{pub['org_id']}/publications"
        },
        "watch": {"href": f"{api}/watch"},
        "preview": {"href": f"{api}/preview"},
        "connections": {"href": f"{api}/connections"},
        "html": {"href": f"{base}/p/{pub['id']}", "type": "text/html"},
    }


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
    headers = {"Link": f'<{next_href}>; rel="next"'} if next_href else None
    if not wants_hal(request):
        return JSONResponse([body for body, _ in items], 200, headers)
    links: dict[str, Any] = {"self": {"href": self_href}}
    if next_href:
        links["next"] = {"href": next_href}
    doc = {
        "_embedded": {name: [{**body, "_links": item_links} for body, item_links in items]},
        "_links": links,
        **(extra or {}),
    }
    return JSONResponse(doc, 200, headers, media_type=HAL)
