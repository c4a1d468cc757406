"""CORS for the local app, its refusals in the one error shape.

Starlette's CORSMiddleware answers a preflight it refuses (an origin not listed, a method not
served) with 400 text/plain "Disallowed CORS origin". This one gives the same answer, status and
headers, with the body `{"error": {"code": "cors_refused", "message": ...}}`. Allowed preflights
and every other request are Starlette's, unchanged.
"""

from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

from shared.errors import error_content

CORS_REFUSED = "cors_refused"
_BODY_HEADERS = {"content-type", "content-length"}


class ErrorShapeCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        # Starlette's text names what was refused: "Disallowed CORS origin, method".
        message = bytes(answer.body).decode("utf-8", "replace") or "Cross-origin request refused."
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in _BODY_HEADERS}
        return JSONResponse(
            error_content(CORS_REFUSED, message), status_code=answer.status_code, headers=headers
        )
