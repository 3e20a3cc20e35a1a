"""/v1/organisations/{id}/...: styles; list, count and create publications."""

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import hal, publications
from hail.api import base_url, reader, writer
from hail.auth import Principal
from hail.errors import BadRequest
from hail.models import PublicationCreate
from hail.storage.publications import ORDER_ATTRS, ListQuery

router = APIRouter()
MAX_LIMIT = 200
_ORDER = re.compile(r"^(title|due_date|created_date)(?:\|(asc|desc))?$")


@router.get("/v1/organisations/{id}/styles")
async def list_styles(id: str, request: Request, user: Principal = Depends(reader)) -> Response:
    styles = publications.list_styles(user.user_id, id)
    base = base_url(request)
    return hal.collection(
        request,
        "styles",
        [(s, {"self": {"href": f"{base}/v1/organisations/{id}/styles"}}) for s in styles],
        f"{base}/v1/organisations/{id}/styles",
    )


def _filters(id: str, request: Request, ordered: bool) -> ListQuery:
    params = request.query_params
    status = params.get("status")
    if status is not None and status not in ("published", "unpublished"):
        raise BadRequest("The 'status' parameter must be 'published' or 'unpublished'.")
    search = (params.get("search") or "").strip().casefold() or None
    if search is not None and len(search) > 200:
        raise BadRequest("The 'search' parameter must be at most 200 characters.")
    order, descending = "created_date", True
    if ordered and params.get("order") is not None:
        match = _ORDER.match(params["order"])
        if not match:
            fields = ", ".join(ORDER_ATTRS)
            raise BadRequest(
                f"The 'order' parameter must be one of {fields}, optionally followed by "
                "'|asc' or '|desc'."
            )
        order = match[1]
        descending = match[2] == "desc"  # a field alone sorts ascending
    return ListQuery(
        org_id=id, order=order, descending=descending, status=status or None, search=search
    )


def _paging(request: Request) -> tuple[int | None, int, str | None]:
    params = request.query_params
    raw_limit, raw_offset = params.get("limit"), params.get("offset")
    if raw_limit is None:
        if raw_offset is not None:
            raise BadRequest("The 'offset' parameter can only be used together with 'limit'.")
        return None, 0, None
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequest(f"The 'limit' parameter must be a whole number from 1 to {MAX_LIMIT}.")
    if raw_offset is None or raw_offset == "":
        return int(raw_limit), 0, None
    if raw_offset.isdigit():
        return int(raw_limit), int(raw_offset), None
    return int(raw_limit), 0, raw_offset


@router.get("/v1/organisations/{id}/publications")
async def list_publications(
    id: str, request: Request, user: Principal = Depends(reader)
) -> Response:
    query = _filters(id, request, ordered=True)
    limit, skip, cursor = _paging(request)
    page = publications.list_page(user.user_id, query, limit=limit, skip=skip, cursor=cursor)
    base = base_url(request)
    query_string = f"?{request.url.query}" if request.url.query else ""
    self_href = f"{base}{request.url.path}{query_string}"
    next_href = None
    if page.next_cursor:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        next_href = f"{base}{request.url.path}?{urlencode([*kept, ('offset', page.next_cursor)])}"
    return hal.collection(
        request,
        "publications",
        [
            (publications.view(p, user.user_id, base), hal.publication_links(base, p))
            for p in page.items
        ],
        self_href,
        next_href,
    )


@router.get("/v1/organisations/{id}/publications/count")
async def count_publications(
    id: str, request: Request, user: Principal = Depends(reader)
) -> Response:
    query = _filters(id, request, ordered=False)
    count = publications.count(user.user_id, query)
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
    pub = publications.create(user.user_id, id, body)
    base = base_url(request)
    return hal.resource(
        request,
        publications.view(pub, user.user_id, base),
        hal.publication_links(base, pub),
        status=201,
        headers={
            "Location": f"{base}/v1/publications/{pub['id']}",
            "ETag": publications.etag(pub),
        },
    )
