"""The all-in-one app: every endpoint group in one FastAPI app, and the web page.

    uvicorn functions.app:app --port 8001

`handler` serves the same app from a single Lambda function, if one is preferred.
"""

from fastapi.middleware.cors import CORSMiddleware
from mangum import Mangum

from functions.chat.routes import OPERATIONS as CHAT
from functions.page import mount_page
from functions.plans.routes import OPERATIONS as PLANS
from functions.sessions.routes import OPERATIONS as SESSIONS
from shared.settings import get_settings
from shared.web.fastapi_app import create_app

GROUPS = (SESSIONS, CHAT, PLANS)
app = create_app(*GROUPS)
app.add_middleware(
    # Starlette's: a refused preflight is its 400 text/plain, read only by the browser, which
    # shows the page nothing of it.
    CORSMiddleware,
    allow_origins=get_settings().cors_origins,
    allow_credentials=True,
    # The methods the operations serve, as template.yaml's CorsConfiguration lists them.
    allow_methods=sorted({op.method for group in GROUPS for op in group} | {"OPTIONS"}),
    allow_headers=["*"],
    expose_headers=["X-Poll-Interval", "X-Request-Id", "Idempotent-Replayed"],
)
mount_page(app)
# lifespan off: on Lambda it would run around every invocation; clients are made once per
# process, on first use.
handler = Mangum(app, lifespan="off")
