"""Lambda entry point of the sessions group: only this group's router, wrapped in Mangum."""

from functions.sessions.router import router
from shared.store import get_store
from shared.web.app_factory import create_app
from shared.web.lambda_entry import lambda_handler_for

app = create_app(router, title="Chiffon Dashboard API - sessions")
# It never calls the orchestrator: X-Ray patches only botocore, and httpx is never imported.
handler = lambda_handler_for(app, service="sessions", traced_libraries=("botocore",))
get_store()  # the client is made in the init phase, once per container
