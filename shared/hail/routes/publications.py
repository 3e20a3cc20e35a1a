"""/v1/publications/{id}: get, edit, watch, unwatch and preview."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import hal, preview, publications
from hail.api import base_url, reader, writer
from hail.auth import Principal
from hail.models import PublicationFields

router = APIRouter()


def _shown(request: Request, pub: dict, user: Principal) -> Response:
    base = base_url(request)
    return hal.resource(
        request,
        publications.view(pub, user.user_id, base),
        hal.publication_links(base, pub),
        headers={"ETag": publications.etag(pub)},
    )


@router.get("/v1/publications/{id}")
async def get_publication(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    return _shown(request, publications.get(user.user_id, id), user)


@router.put("/v1/publications/{id}")
async def edit_publication(
    id: str, body: PublicationFields, request: Request, user: Principal = Depends(writer)
) -> Response:
    pub = publications.edit(user.user_id, id, body, if_match=request.headers.get("if-match"))
    return _shown(request, pub, user)


@router.post("/v1/publications/{id}/watch", status_code=204)
async def watch(id: str, user: Principal = Depends(writer)) -> Response:
    publications.watch(user.user_id, id, watching=True)
    return Response(status_code=204)


@router.delete("/v1/publications/{id}/watch", status_code=204)
async def unwatch(id: str, user: Principal = Depends(writer)) -> Response:
    publications.watch(user.user_id, id, watching=False)
    return Response(status_code=204)


@router.get("/v1/publications/{id}/preview", status_code=201)
async def create_preview(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    base = base_url(request)
    made = preview.create(user.user_id, id, base, preview.clock())
    links = {
        "self": {"href": f"{base}/v1/publications/{id}/preview"},
        "publication": {"href": f"{base}/v1/publications/{id}"},
    }
    body = {"url": made.url, "expires_at": made.expires_at}
    return hal.resource(request, body, links, 201, headers={"Cache-Control": "no-store"})
