// Status words. Every status the page shows is a word (with a symbol); the colour only repeats it.

// Run statuses that mean "still going": poll again. Anything else has finished.
const RUNNING = new Set(["executing", "approving", "running", "approved", "pending"]);

export function isRunning(status) {
  return RUNNING.has(status);
}

// Plan statuses of a plan that was never sent to run: there is no run to follow.
const NEVER_RAN = new Set(["pending_approval", "rejected", "superseded", "expired"]);

export function wasDispatched(status) {
  return !NEVER_RAN.has(status);
}

const PLAN = {
  pending_approval: ["Waiting for your approval", "review"],
  approving: ["Starting", "running"],
  approved: ["Approved, starting", "running"],
  pending: ["Starting", "running"],
  executing: ["Running", "running"],
  running: ["Running", "running"],
  completed: ["Completed", "ok"],
  failed: ["Failed", "bad"],
  aborted: ["Aborted", "stopped"],
  rejected: ["Rejected", "stopped"],
  superseded: ["Replaced by a newer plan", "stopped"],
  expired: ["Expired: can no longer be approved", "stopped"],
  paused: ["Paused: no capacity to run it now", "review"],
  // Started, but the orchestrator's answer with the step ids was lost: not followed from here.
  untracked: ["Running, not followed from here (its answer was lost)", "review"],
};

const STEP = {
  pending: ["Pending", "idle"],
  running: ["Running", "running"],
  completed: ["Completed", "ok"],
  failed: ["Failed", "bad"],
  skipped: ["Skipped", "stopped"],
};

const SESSION = {
  idle: ["Idle", "idle"],
  awaiting_plan: ["Planning", "running"],
  plan_ready: ["Plan to review", "review"],
  // Not a status of the API's: plan_ready past the plan's deadline (see sessionBadge).
  plan_expired: ["Plan expired", "stopped"],
  executing: ["Running", "running"],
  completed: ["Completed", "ok"],
};

const SYMBOL = { ok: "✓", bad: "✗", running: "●", review: "?", stopped: "■", idle: "○" };

const RISK = { low: ["Low", "ok"], medium: ["Medium", "review"], high: ["High", "bad"] };

function plain(status) {
  const text = String(status || "unknown").replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function lookup(table, status) {
  return table[status] || [plain(status), "idle"];
}

/** A badge: a symbol (hidden from screen readers), then the word; the tone only colours it. */
export function badge(table, status, className = "") {
  const [word, tone] = lookup(table, status);
  const span = document.createElement("span");
  span.className = `badge tone-${tone} ${className}`.trim();
  span.dataset.status = status || "";
  const symbol = document.createElement("span");
  symbol.setAttribute("aria-hidden", "true");
  symbol.textContent = `${SYMBOL[tone]} `;
  span.append(symbol, word);
  return span;
}

export const planBadge = (status) => badge(PLAN, status, "plan-status");
export const stepBadge = (status) => badge(STEP, status, "step-status");
/** A session's status in words; a plan still "to review" past its deadline (the API gives it
 * with the session) is said to have expired, by this browser's clock. */
export function sessionBadge(session) {
  const deadline = session.plan_approval_expires_at;
  const expired =
    session.status === "plan_ready" && deadline && Date.now() >= new Date(deadline).getTime();
  return badge(SESSION, expired ? "plan_expired" : session.status, "session-status");
}
export const riskBadge = (risk) => badge(RISK, risk, "risk");
export const planWord = (status) => lookup(PLAN, status)[0];
export const stepWord = (status) => lookup(STEP, status)[0];

/** A moment, in the person's own locale and time zone: "14 Mar, 10:02:03". */
export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** "before → after", the arrow said as "to" by a screen reader. */
export function beforeAfter(before, after) {
  const span = document.createElement("span");
  span.className = "before-after";
  const was = document.createElement("span");
  was.className = "before";
  was.append(before);
  const arrow = document.createElement("span");
  arrow.setAttribute("aria-hidden", "true");
  arrow.textContent = " → ";
  const to = document.createElement("span");
  to.className = "visually-hidden";
  to.textContent = " to ";
  const now = document.createElement("span");
  now.className = "after";
  now.append(after);
  span.append(was, arrow, to, now);
  return span;
}
