"""Lambda: list a publication's connections; push a publication to one."""

from hail.api import create_app, lambda_handler
from hail.routes.connections import router

app = create_app(router)
handler = lambda_handler(app)
