"""Lambda: publication pages (GET /p/{id}) and the visits of preview links."""

from hail.api import lambda_handler
from hail.routes.viewer import create_viewer_app

app = create_viewer_app()
handler = lambda_handler(app)
