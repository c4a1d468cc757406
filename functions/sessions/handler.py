"""Lambda entry point of the sessions group: its operations on Powertools' resolver."""

from shared.init_phase import init_phase

with init_phase():  # the module loads without the garbage collector: see shared/init_phase.py
    from functions.sessions.routes import OPERATIONS
    from shared.store import get_store
    from shared.web.lambda_app import lambda_handler_for, resolver_for

    app = resolver_for(OPERATIONS)
    # It never calls the orchestrator: X-Ray patches only botocore, and httpx is never imported.
    handler = lambda_handler_for(app, service="sessions", traced_libraries=("botocore",))
    get_store()  # the client is made in the init phase, once per container
