"""Lambda: get, edit, watch and unwatch a publication."""

from hail.api import create_app, lambda_handler
from hail.routes.publications import router

app = create_app(router)
handler = lambda_handler(app)
