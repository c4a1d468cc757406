"""Lambda entry point of the chat group: only this group's router, wrapped in Mangum."""

from functions.chat.router import router
from shared.orchestrator.factory import get_orchestrator
from shared.store import get_store
from shared.web.app_factory import create_app
from shared.web.lambda_entry import lambda_handler_for

app = create_app(router, title="Chiffon Dashboard API - chat")
handler = lambda_handler_for(app, service="chat")
# Clients are made in the init phase, once per container.
get_store()
get_orchestrator()
