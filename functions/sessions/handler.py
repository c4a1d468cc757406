"""Lambda entry point of the sessions group: only this group's router, wrapped in Mangum."""

from functions.sessions.router import router
from shared.web.app_factory import create_app
from shared.web.lambda_entry import lambda_handler_for

app = create_app(router, title="Chiffon Dashboard API - sessions")
handler = lambda_handler_for(app, service="sessions")
