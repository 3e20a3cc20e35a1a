"""Lambda: an organisation's articles (list, count, create); get, edit, delete an article."""

from hail.api import create_app, lambda_handler
from hail.routes.articles import router

app = create_app(router)
handler = lambda_handler(app)
