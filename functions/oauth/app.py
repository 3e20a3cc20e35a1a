"""Lambda: sign-in (the authorisation redirect and the token endpoint), no bearer token."""

from hail.api import create_app, lambda_handler
from hail.routes.oauth import router

app = create_app(router)
handler = lambda_handler(app)
