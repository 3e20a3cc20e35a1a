"""/v1/publications/{id}/connections: list the connections with the push state; push."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import connections, hal
from hail.api import base_url, pusher, reader
from hail.auth import Principal
from hail.models import PushRequest

router = APIRouter()


def _links(base: str, publication_id: str) -> dict:
    api = f"{base}/v1/publications/{publication_id}"
    return {"push": {"href": f"{api}/connections"}, "publication": {"href": api}}


@router.get("/v1/publications/{id}/connections")
async def list_connections(
    id: str, request: Request, user: Principal = Depends(reader)
) -> Response:
    found = connections.list_for_publication(user.user_id, id)
    base = base_url(request)
    return hal.collection(
        request,
        "connections",
        [(c, _links(base, id)) for c in found],
        f"{base}/v1/publications/{id}/connections",
    )


@router.post("/v1/publications/{id}/connections", status_code=202)
async def push(
    id: str, body: PushRequest, request: Request, user: Principal = Depends(pusher)
) -> Response:
    base = base_url(request)
    connection = connections.push(user.user_id, id, body, publication_url=f"{base}/p/{id}")
    links = {"self": {"href": f"{base}/v1/publications/{id}/connections"}, **_links(base, id)}
    return hal.resource(request, connection, links, status=202)
