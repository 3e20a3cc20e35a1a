"""Lambda: styles; list, count and create publications."""

from hail.api import create_app, lambda_handler
from hail.routes.organisations import router

app = create_app(router)
handler = lambda_handler(app)
