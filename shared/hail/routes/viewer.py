"""/p/{id}: a publication as a web page, and the visit of a one-time preview link.

Every answer is HTML with the same security headers, errors included: this function's
app swaps the JSON error envelopes of the API for plain pages.
"""

import re
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hail import articles, pages, preview, publications
from hail.api import base_url, create_app
from hail.errors import HailError
from hail.settings import get_settings

router = APIRouter()
COOKIE = "hail"
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-store"
ALLOW = "GET, HEAD"
HTML = "text/html; charset=utf-8"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
BASELINE_HEADERS = {
    "Content-Security-Policy": pages.content_security_policy("'none'"),
    "Referrer-Policy": "no-referrer",  # a preview token must never leave in a Referer
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
NOINDEX = {"X-Robots-Tag": "noindex"}  # previews and "not found" stay out of search engines


def _headers(
    document: pages.Document, cache: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        **BASELINE_HEADERS,
        "Content-Security-Policy": document.content_security_policy,
        "Cache-Control": cache,
        **(extra or {}),
    }


def _html(
    document: pages.Document,
    status: int = 200,
    cache: str = "no-store",
    extra: dict[str, str] | None = None,
) -> Response:
    return HTMLResponse(document.html, status, _headers(document, cache, extra))


def not_found() -> Response:
    """The one answer for "no such page", "not published", "no access" and "bad token"."""
    return _html(pages.not_found(), 404, extra=NOINDEX)


def _session_ids(request: Request) -> list[str]:
    """Every `hail` cookie the browser sent (one per path it was set for)."""
    ids = []
    for header in request.headers.getlist("cookie"):
        for pair in header.split(";"):
            name, _, value = pair.strip().partition("=")
            if name == COOKIE and value:
                ids.append(value.strip('"'))
    return ids


def _secure(request: Request) -> bool:
    """Cookies are Secure except on plain-http localhost (`make run`)."""
    return not (request.url.scheme == "http" and request.url.hostname in pages.LOCALHOST)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _visit(id: str, token: str, request: Request) -> Response:
    """Spend the token: a session cookie and 303 to the same page without the token."""
    session = preview.redeem(id, token, preview.clock())
    if session is None:
        return not_found()
    page_url = f"{base_url(request)}/p/{id}"
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "access"]
    location = page_url + (f"?{urlencode(rest)}" if rest else "")
    cookie = (
        f"{COOKIE}={session.id}; Max-Age={session.max_age}; Path={urlsplit(page_url).path}; "
        "HttpOnly; SameSite=Lax" + ("; Secure" if _secure(request) else "")
    )
    headers = {**BASELINE_HEADERS, "Cache-Control": "no-store", "Location": location}
    response = Response(status_code=303, headers=headers, media_type="text/html")
    response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    return response


@router.api_route("/p/{id}", methods=["GET", "HEAD"])
async def publication_page(id: str, request: Request) -> Response:
    if not _ID.match(id):
        return not_found()
    token = request.query_params.get("access")
    if token is not None:
        return _visit(id, token, request)
    shown = preview.page(id, _session_ids(request), preview.clock())
    if shown is None:
        return not_found()
    base = base_url(request)
    featured = next(
        (a for a in shown.articles if a["id"] == shown.publication["featured_article_id"]), None
    )
    pub_view = publications.view(
        publications.Shown(shown.publication, None, featured, shown.refs), base
    )
    document = pages.render_publication(
        pub_view,
        [articles.view(a, shown.refs, base) for a in shown.articles],
        shown.organisation_name,
        preview=not shown.public,
        media_origin=media_origin(),
    )
    if not shown.public:
        return _html(document, cache=PRIVATE_CACHE, extra=NOINDEX)
    return _public(request, document)


def _public(request: Request, document: pages.Document) -> Response:
    """A public page: cacheable, and 304 when the client has it already."""
    etag = pages.etag(document)
    if _matches(request.headers.get("if-none-match"), etag):
        # The type the 200 would have had (API Gateway would otherwise add application/json)
        extra = {"ETag": etag, "Content-Type": HTML}
        return Response(status_code=304, headers=_headers(document, PUBLIC_CACHE, extra))
    return _html(document, cache=PUBLIC_CACHE, extra={"ETag": etag})


@router.api_route("/a/{id}", methods=["GET", "HEAD"])
async def article_page(id: str, request: Request) -> Response:
    """An article's own page: public once published, and nothing before."""
    if not _ID.match(id):
        return not_found()
    shown = preview.article_page(id)
    if shown is None:
        return not_found()
    base = base_url(request)
    document = pages.render_article(
        articles.view(shown.article, shown.refs, base),
        shown.organisation_name,
        preview=False,
        media_origin=media_origin(),
    )
    return _public(request, document)


def media_origin() -> str | None:
    """Where pictures are served from (the CSP allows exactly that origin)."""
    return get_settings().media_base_url or None


# ---------------------------------------------------------------- the app ---

_ERROR_TEXT = {
    404: pages.NOT_FOUND,
    405: ("Method not allowed", "This page can only be read."),
    503: ("Temporarily unavailable", "Please try again in a moment."),
}


async def _error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HailError):
        status, extra = exc.status, dict(exc.headers)
    else:
        assert isinstance(exc, StarletteHTTPException)
        status, extra = exc.status_code, dict(exc.headers or {})
    if status == 404:
        return not_found()
    if status == 405:
        extra["Allow"] = ALLOW
    heading, text = _ERROR_TEXT.get(status, ("Something went wrong", "Please try again later."))
    return _html(pages.error_page(heading, text), status, extra=extra)


class SecurityHeaders:
    """Adds the baseline security headers to any response that lacks them (such as the
    500 the shared request guard answers with)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASELINE_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_viewer_app() -> FastAPI:
    app = create_app(router)
    app.add_exception_handler(HailError, _error_page)
    app.add_exception_handler(StarletteHTTPException, _error_page)
    app.add_middleware(SecurityHeaders)  # outermost: also sees the request guard's answers
    return app
