"""/v1/organisations/{id}/articles (list, count, create) and /v1/articles/{id} (get, edit,
delete)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import articles, hal, lists
from hail.api import base_url, reader, writer
from hail.auth import Principal
from hail.models import ArticleCreate, ArticleFields
from hail.preconditions import etag
from hail.records import Article
from hail.routes.common import list_parameters, short_gallery_limit

router = APIRouter()


def _one(request: Request, article: Article, refs: articles.Refs, status: int = 200) -> Response:
    base = base_url(request)
    headers = {"ETag": etag(article)}
    if status == 201:
        headers["Location"] = f"{base}/v1/articles/{article['id']}"
    return hal.resource(
        request,
        articles.view(article, refs, base),
        hal.article_links(base, dict(article)),
        status=status,
        headers=headers,
    )


def page(
    request: Request,
    given: dict[str, str],
    result: lists.Result[Article],
    refs: articles.Refs,
) -> Response:
    """A page of articles, as every list of articles answers."""
    base = base_url(request)
    gallery = short_gallery_limit(given, articles.SHORT_GALLERY, articles.MAX_SHORT_GALLERY)
    self_href, next_href = hal.page_links(request, base, result.next_cursor)
    return hal.collection(
        request,
        "articles",
        [
            (articles.view(a, refs, base, gallery), hal.article_links(base, dict(a)))
            for a in result.items
        ],
        self_href,
        next_href,
    )


@router.get("/v1/organisations/{id}/articles")
async def list_articles(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    given = dict(await list_parameters(request))
    short_gallery_limit(given, articles.SHORT_GALLERY, articles.MAX_SHORT_GALLERY)  # 400 early
    params = lists.parse(articles.KIND, given)
    result, refs = articles.list_page(user.user_id, id, params)
    return page(request, given, result, refs)


@router.get("/v1/organisations/{id}/articles/count")
async def count_articles(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    params = lists.parse(articles.KIND, await list_parameters(request), ordered=False)
    count = articles.count(user.user_id, id, params)
    base = base_url(request)
    links = {"self": {"href": f"{base}/v1/organisations/{id}/articles/count"}}
    return hal.resource(request, {"count": count}, links)


@router.post("/v1/organisations/{id}/articles", status_code=201)
async def create_article(
    id: str, body: ArticleCreate, request: Request, user: Principal = Depends(writer)
) -> Response:
    article, refs = articles.create(user.user_id, id, body)
    return _one(request, article, refs, 201)


@router.get("/v1/articles/{id}")
async def get_article(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    article, refs = articles.get(user.user_id, id)
    return _one(request, article, refs)


@router.put("/v1/articles/{id}")
async def edit_article(
    id: str, body: ArticleFields, request: Request, user: Principal = Depends(writer)
) -> Response:
    article, refs = articles.edit(user.user_id, id, body, if_match=request.headers.get("if-match"))
    return _one(request, article, refs)


@router.delete("/v1/articles/{id}", status_code=204)
async def delete_article(id: str, request: Request, user: Principal = Depends(writer)) -> Response:
    articles.delete(user.user_id, id, if_match=request.headers.get("if-match"))
    return Response(status_code=204)
