"""The two hosts of the dashboard's operations, which the API test suites run on alike:

- "fastapi": functions.app, the all-in-one FastAPI app (the local stack, the OpenAPI document);
- "lambda": the FastAPI-free router the Lambda functions run (shared/web/router.py), here with
  every group's operations, as one process would hold them.
"""

from functools import lru_cache

HOSTS = ("fastapi", "lambda")


@lru_cache(maxsize=1)
def lambda_app():
    from functions.chat.routes import OPERATIONS as CHAT
    from functions.plans.routes import OPERATIONS as PLANS
    from functions.sessions.routes import OPERATIONS as SESSIONS
    from shared.web.router import Api

    return Api(SESSIONS, CHAT, PLANS)


def dashboard_app(host: str):
    if host == "fastapi":
        from functions.app import app

        return app
    return lambda_app()
