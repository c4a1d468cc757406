"""Lambda entry point of the plans group: its operations on Powertools' resolver."""

from shared.init_phase import init_phase

with init_phase():  # the module loads without the garbage collector: see shared/init_phase.py
    from functions.plans.routes import OPERATIONS
    from shared.orchestrator.factory import get_orchestrator
    from shared.store import get_store
    from shared.web.lambda_app import lambda_handler_for, resolver_for

    app = resolver_for(OPERATIONS)
    handler = lambda_handler_for(app, service="plans")
    # Clients are made in the init phase, once per container.
    get_store()
    get_orchestrator()
