// The dashboard API, as the page calls it. Every failure becomes an ApiError whose `status` is
// the HTTP status (0: the API could not be reached) and whose `code`/`message` come from the
// API's one error shape, {"error": {"code", "message"}}.

const PREFIX = "/api/dashboard";
const TIMEOUT_MS = 45_000; // API Gateway gives up at 30 s; a little more for the network

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** The API's root: the base URL typed by the person, or this page's own origin. */
export function apiRoot(baseUrl) {
  let base = (baseUrl || "").trim().replace(/\/+$/, "");
  if (base.endsWith(PREFIX)) base = base.slice(0, -PREFIX.length);
  return base + PREFIX;
}

export class Api {
  /** identity: {baseUrl, userId, token}, read at each call so a change applies at once. */
  constructor(identity) {
    this.identity = identity;
  }

  async request(method, path, body) {
    const { baseUrl, userId, token } = this.identity();
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (userId) headers["X-User-Id"] = userId;
    if (token) headers.Authorization = `Bearer ${token}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(apiRoot(baseUrl) + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) {
        throw new ApiError(0, "timeout", `no answer within ${TIMEOUT_MS / 1000} s`);
      }
      throw new ApiError(0, "network", error && error.message ? error.message : "network error");
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    const text = await response.text().catch(() => "");
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = data && data.error ? data.error : {};
      throw new ApiError(
        response.status,
        error.code || "http_error",
        error.message || response.statusText || `HTTP ${response.status}`,
      );
    }
    return { data, headers: response.headers };
  }

  async get(path) {
    return (await this.request("GET", path)).data;
  }

  async post(path, body) {
    return (await this.request("POST", path, body)).data;
  }

  async delete(path) {
    await this.request("DELETE", path); // 204: no body
  }

  listSessions(cursor, limit = 20) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.get(`/sessions?${query}`);
  }

  createSession() {
    return this.post("/session", {});
  }

  getSession(sessionId) {
    return this.get(`/session/${encodeURIComponent(sessionId)}`);
  }

  olderMessages(sessionId, cursor) {
    const query = new URLSearchParams({ cursor });
    return this.get(`/session/${encodeURIComponent(sessionId)}/messages?${query}`);
  }

  chat(sessionId, message) {
    return this.post("/chat", { session_id: sessionId, message });
  }

  getPlan(planId) {
    return this.get(`/plan/${encodeURIComponent(planId)}`);
  }

  deleteSession(sessionId) {
    return this.delete(`/session/${encodeURIComponent(sessionId)}`);
  }

  /** comment: what the person wrote with their decision; sent only when there is one. */
  approve(planId, sessionId, comment = "") {
    return this.post(`/plan/${encodeURIComponent(planId)}/approve`, decision(sessionId, comment));
  }

  reject(planId, sessionId, comment = "") {
    return this.post(`/plan/${encodeURIComponent(planId)}/reject`, decision(sessionId, comment));
  }

  /** {plan_id, entries: [AuditEntry]}, oldest first. */
  audit(planId) {
    return this.get(`/plan/${encodeURIComponent(planId)}/audit`);
  }

  modify(planId, sessionId, userMessage) {
    return this.post(`/plan/${encodeURIComponent(planId)}/modify`, {
      plan_id: planId,
      session_id: sessionId,
      user_message: userMessage,
    });
  }

  abort(planId, sessionId, comment = "") {
    return this.post(`/plan/${encodeURIComponent(planId)}/abort`, decision(sessionId, comment));
  }

  /** {data: {overall_status, steps, last_update}, intervalMs} */
  async poll(planId) {
    const { data, headers } = await this.request(
      "GET",
      `/plan/${encodeURIComponent(planId)}/poll`,
    );
    const interval = Number.parseInt(headers.get("X-Poll-Interval") || "", 10);
    return { data, intervalMs: Number.isFinite(interval) && interval > 0 ? interval : 2000 };
  }
}

function decision(sessionId, comment) {
  const body = { session_id: sessionId };
  const text = (comment || "").trim();
  if (text) body.comment = text;
  return body;
}

// Refusals whose code says more than the status: what happened, and what the person can do.
const REFUSALS = {
  session_busy:
    "a run is still going in this session (or an approval is on its way). Abort the run or " +
    "wait until it has finished, then try again.",
  plan_expired:
    "the plan waited too long for approval and has expired. Ask for a fresh plan: send " +
    "your request again.",
};

/** An error in words a person can act on; `doing` says what failed ("Sending your message"). */
export function describeError(doing, error) {
  const detail = error && error.message ? error.message : String(error);
  if (!(error instanceof ApiError)) return `${doing} failed: ${detail}`;
  const said = detail.replace(/\.?$/, ".");
  switch (error.status) {
    case 0:
      return error.code === "timeout"
        ? `${doing} failed: the API did not answer in time. It may still have done it; ` +
            "reload the session before trying again."
        : `${doing} failed: the API could not be reached (network error). Check your ` +
            "connection and the API base URL, then try again.";
    case 400:
      return `${doing} failed: the API refused the request as invalid. ${said}`;
    case 401:
      return `${doing} failed: the API needs to know who you are. Enter a user id or a ` +
        `bearer token under "Who you are". ${said}`;
    case 403:
      return `${doing} failed: you are not allowed to do this. ${said}`;
    case 404:
      return `${doing} failed: not found. It does not exist or belongs to someone else. ${said}`;
    case 409:
      if (REFUSALS[error.code]) return `${doing} failed: ${REFUSALS[error.code]} (${detail})`;
      return `${doing} failed: not possible in the current state. ${said}`;
    case 413:
      return `${doing} failed: the text is too long. ${said}`;
    case 502:
      return `${doing} failed: the orchestrator gave an answer that could not be used. ` +
        `Try again in a moment. ${said}`;
    case 503:
      return `${doing} failed: the orchestrator or the session store cannot be reached ` +
        `right now. Try again in a moment. ${said}`;
    case 504:
      return `${doing} failed: the orchestrator took too long to answer. It may still have ` +
        `done it; reload the session before trying again. ${said}`;
    default:
      return `${doing} failed (HTTP ${error.status}). ${said}`;
  }
}
