"""/v1/publications/{id}: get, edit, watch, unwatch, preview; its articles."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response

from hail import articles, hal, preview, publications
from hail.api import base_url, reader, writer
from hail.auth import Principal
from hail.models import PublicationArticle, PublicationArticles, PublicationFields
from hail.preconditions import etag
from hail.records import Article, Publication

router = APIRouter()


def _shown(request: Request, shown: publications.Shown) -> Response:
    base = base_url(request)
    return hal.resource(
        request,
        publications.view(shown, base),
        hal.publication_links(base, dict(shown.pub)),
        headers={"ETag": etag(shown.pub)},
    )


@router.get("/v1/publications/{id}")
async def get_publication(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    return _shown(request, publications.get(user.user_id, id))


@router.put("/v1/publications/{id}")
async def edit_publication(
    id: str, body: PublicationFields, request: Request, user: Principal = Depends(writer)
) -> Response:
    shown = publications.edit(user.user_id, id, body, if_match=request.headers.get("if-match"))
    return _shown(request, shown)


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


# ------------------------------------------------------------ its articles ---


def _articles(
    request: Request, found: tuple[Publication, list[Article], articles.Refs]
) -> Response:
    pub, shown, refs = found
    base = base_url(request)
    return hal.collection(
        request,
        "articles",
        [(articles.view(a, refs, base), hal.article_links(base, dict(a))) for a in shown],
        f"{base}/v1/publications/{pub['id']}/articles",
    )


@router.get("/v1/publications/{id}/articles")
async def publication_articles(
    id: str, request: Request, user: Principal = Depends(reader)
) -> Response:
    return _articles(request, publications.articles_of(user.user_id, id))


@router.put("/v1/publications/{id}/articles")
async def set_publication_articles(
    id: str,
    body: Annotated[PublicationArticles, Body()],
    request: Request,
    user: Principal = Depends(writer),
) -> Response:
    found = publications.set_articles(
        user.user_id, id, body, if_match=request.headers.get("if-match")
    )
    return _articles(request, found)


@router.post("/v1/publications/{id}/articles")
async def add_publication_article(
    id: str, body: PublicationArticle, request: Request, user: Principal = Depends(writer)
) -> Response:
    found = publications.add_article(
        user.user_id, id, body.article_id, body.position, if_match=request.headers.get("if-match")
    )
    return _articles(request, found)


@router.delete("/v1/publications/{id}/articles/{article_id}", status_code=204)
async def remove_publication_article(
    id: str, article_id: str, request: Request, user: Principal = Depends(writer)
) -> Response:
    publications.remove_article(
        user.user_id, id, article_id, if_match=request.headers.get("if-match")
    )
    return Response(status_code=204)
