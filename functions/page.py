"""The web page (page/) on the local app at `/`: plain files, nothing built.

The mount comes last and takes only GET and HEAD outside `/api` and `/health`, so every API
answer stays what it was without it: a wrong method on an API path is still 405 with `Allow`,
an unknown API path still 404 in the one error shape, and no API path can be served a file.
Its files are always served whole: a Range header is ignored (HTTP allows it), so no request
gets Starlette's text/plain 400 or 416 for a range it cannot serve; every error the page can
give is an HTTPException, answered in the one error shape.
"""

from pathlib import Path

from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

PAGE_DIR = Path(__file__).resolve().parent.parent / "page"
_API_PREFIXES = ("/api", "/health")
_RANGE_HEADERS = (b"range", b"if-range")


def _is_api(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in _API_PREFIXES)


class _PageMount(Mount):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or _is_api(scope["path"])
        ):
            return Match.NONE, {}
        return super().matches(scope)


class _WholeFiles(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _RANGE_HEADERS]
        await super().__call__({**scope, "headers": headers}, receive, send)


def mount_page(app) -> None:
    """Serve page/ at `/` (index.html for `/`); call it after every route is added."""
    app.router.routes.append(
        _PageMount("/", app=_WholeFiles(directory=PAGE_DIR, html=True), name="page")
    )
