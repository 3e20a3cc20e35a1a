"""Tags and private tags: /v1/organisations/{id}/tags|private-tags (list, create),
/v1/tags|private-tags/{id} (get, edit, delete) and their articles."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import articles, hal, lists, tags
from hail.api import base_url, reader, writer
from hail.auth import Principal
from hail.models import TagCreate, TagFields
from hail.preconditions import etag
from hail.records import Tag
from hail.routes import articles as article_routes
from hail.routes.common import list_parameters, short_gallery_limit

router = APIRouter()
KINDS = {"tags": False, "private-tags": True}  # path segment -> private


def _one(request: Request, tag: Tag, counts: dict | None = None, status: int = 200) -> Response:
    base = base_url(request)
    links = hal.tag_links(base, dict(tag))
    headers = {"ETag": etag(tag)}
    if status == 201:
        headers["Location"] = links["self"]["href"]
    return hal.resource(request, {**tags.view(tag), **(counts or {})}, links, status, headers)


def _routes(kind: str, private: bool) -> None:
    """The same routes for tags and for private tags."""

    async def list_tags(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
        params = lists.parse(tags.KIND, await list_parameters(request))
        found = tags.list_page(user.user_id, id, private, params)
        base = base_url(request)
        self_href, next_href = hal.page_links(request, base, found.next_cursor)
        return hal.collection(
            request,
            kind.replace("-", "_"),
            [(tags.view(t), hal.tag_links(base, dict(t))) for t in found.tags],
            self_href,
            next_href,
        )

    async def create_tag(
        id: str, body: TagCreate, request: Request, user: Principal = Depends(writer)
    ) -> Response:
        return _one(request, tags.create(user.user_id, id, private, body), status=201)

    async def get_tag(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
        tag, counts = tags.get(user.user_id, id, private)
        return _one(request, tag, counts)

    async def edit_tag(
        id: str, body: TagFields, request: Request, user: Principal = Depends(writer)
    ) -> Response:
        tag = tags.edit(user.user_id, id, private, body, request.headers.get("if-match"))
        return _one(request, tag)

    async def delete_tag(id: str, request: Request, user: Principal = Depends(writer)) -> Response:
        tags.delete(user.user_id, id, private, request.headers.get("if-match"))
        return Response(status_code=204)

    async def tag_articles(
        id: str, request: Request, user: Principal = Depends(reader)
    ) -> Response:
        given = dict(await list_parameters(request))
        short_gallery_limit(given, articles.SHORT_GALLERY, articles.MAX_SHORT_GALLERY)
        params = lists.parse(articles.KIND, given)
        tag = tags.get_for_member(user.user_id, id, private)
        result, refs = articles.list_page(user.user_id, tag["org_id"], params, tag=tag)
        return article_routes.page(request, given, result, refs)

    router.add_api_route(f"/v1/organisations/{{id}}/{kind}", list_tags, methods=["GET"])
    router.add_api_route(
        f"/v1/organisations/{{id}}/{kind}", create_tag, methods=["POST"], status_code=201
    )
    router.add_api_route(f"/v1/{kind}/{{id}}", get_tag, methods=["GET"])
    router.add_api_route(f"/v1/{kind}/{{id}}", edit_tag, methods=["PUT"])
    router.add_api_route(f"/v1/{kind}/{{id}}", delete_tag, methods=["DELETE"], status_code=204)
    router.add_api_route(f"/v1/{kind}/{{id}}/articles", tag_articles, methods=["GET"])


for _kind, _private in KINDS.items():
    _routes(_kind, _private)
