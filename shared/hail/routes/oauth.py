"""GET /oauth/authorise (not under /v1, as Hail has it) and POST /v1/oauth/access_token.

Neither takes a bearer token: they are how a client gets one.
"""

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from hail import oauth

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@router.get("/oauth/authorise")
async def authorise(request: Request) -> Response:
    try:
        target = oauth.authorise_url(request.query_params.multi_items())
    except oauth.AuthoriseError as error:
        return HTMLResponse(_error_page(error.message), error.status, PAGE_HEADERS)
    return RedirectResponse(target, 302, {**NO_STORE, "Referrer-Policy": "no-referrer"})


@router.post("/v1/oauth/access_token")
async def access_token(request: Request) -> Response:
    try:
        token_request = oauth.parse_token_request(
            request.headers.get("content-type"),
            await request.body(),
            request.headers.get("authorization"),
        )
        token = oauth.exchange(token_request)
    except oauth.OAuthError as error:
        return JSONResponse(error.body(), error.status, {**NO_STORE, **error.headers})
    return JSONResponse(token, 200, NO_STORE)


def _error_page(message: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Sign-in error</title></head><body>"
        "<h1>This sign-in request cannot be completed</h1>"
        f"<p>{escape(message)}</p>"
        "<p>Return to the application you came from and try again.</p></body></html>"
    )
