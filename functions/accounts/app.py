"""Lambda: the signed-in user, users, their organisations, an organisation."""

from hail.api import create_app, lambda_handler
from hail.routes.accounts import router

app = create_app(router)
handler = lambda_handler(app)
