"""/v1/organisations/{id}/...: styles; list, count and create publications."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import hal, lists, publications
from hail.api import base_url, reader, writer
from hail.auth import Principal
from hail.models import PublicationCreate
from hail.preconditions import etag
from hail.routes.common import list_parameters

router = APIRouter()


@router.get("/v1/organisations/{id}/styles")
async def list_styles(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    styles = publications.list_styles(user.user_id, id)
    base = base_url(request)
    return hal.collection(
        request,
        "styles",
        [(dict(s), {"self": {"href": f"{base}/v1/organisations/{id}/styles"}}) for s in styles],
        f"{base}/v1/organisations/{id}/styles",
    )


@router.get("/v1/organisations/{id}/publications")
async def list_publications(
    id: str, request: Request, user: Principal = Depends(reader)
) -> Response:
    params = lists.parse(publications.KIND, await list_parameters(request))
    shown, next_cursor = publications.list_page(user.user_id, id, params)
    base = base_url(request)
    self_href, next_href = hal.page_links(request, base, next_cursor)
    return hal.collection(
        request,
        "publications",
        [(publications.view(s, base), hal.publication_links(base, dict(s.pub))) for s in shown],
        self_href,
        next_href,
    )


@router.get("/v1/organisations/{id}/publications/count")
async def count_publications(
    id: str, request: Request, user: Principal = Depends(reader)
) -> Response:
    params = lists.parse(publications.KIND, await list_parameters(request), ordered=False)
    count = publications.count(user.user_id, id, params)
    base = base_url(request)
    return hal.resource(
        request,
        {"count": count},
        {"self": {"href": f"{base}/v1/organisations/{id}/publications/count"}},
    )


@router.post("/v1/organisations/{id}/publications", status_code=201)
async def create_publication(
    id: str, body: PublicationCreate, request: Request, user: Principal = Depends(writer)
) -> Response:
    shown = publications.create(user.user_id, id, body)
    base = base_url(request)
    return hal.resource(
        request,
        publications.view(shown, base),
        hal.publication_links(base, dict(shown.pub)),
        status=201,
        headers={
            "Location": f"{base}/v1/publications/{shown.pub['id']}",
            "ETag": etag(shown.pub),
        },
    )
