"""Lambda entry point of the chat group: its operation on the Lambda router (no FastAPI)."""

from shared.init_phase import init_phase

with init_phase():  # the module loads without the garbage collector: see shared/init_phase.py
    from functions.chat.routes import OPERATIONS
    from shared.orchestrator.factory import get_orchestrator
    from shared.store import get_store
    from shared.web.lambda_entry import lambda_handler_for
    from shared.web.router import Api

    app = Api(OPERATIONS)
    handler = lambda_handler_for(app, service="chat")
    # Clients are made in the init phase, once per container.
    get_store()
    get_orchestrator()
