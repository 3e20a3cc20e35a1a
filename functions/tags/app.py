"""Lambda: tags and private tags, and their articles."""

from hail.api import create_app, lambda_handler
from hail.routes.tags import router

app = create_app(router)
handler = lambda_handler(app)
