// The page: who you are, your sessions, the conversation, the plan card and its run.
// The address carries what is open (#/session/<id>/plan/<id>), so a reload or a shared link
// lands back in the same session and run.

import { Api, describeError } from "./api.js";
import { auditItems } from "./audit.js";
import { hidePlan, isExpired, renderPlan, updatePlan } from "./plan.js";
import {
  byActivity,
  forgetSession,
  loadIdentity,
  rememberedSessions,
  rememberSession,
  saveIdentity,
} from "./storage.js";
import { formatTime, isRunning, sessionBadge, wasDispatched } from "./words.js";

const $ = (id) => document.getElementById(id);

const state = {
  identity: loadIdentity(),
  session: null, // the open ChatSession (without its messages)
  messageIds: new Set(),
  olderCursor: null,
  loadingOlder: false,
  plan: null, // the DashboardPlanView on the card
  runSteps: new Map(), // step index -> the run's latest ExecutionUpdate
  overall: null, // the run's overall_status from the latest poll
  pollToken: 0, // bumped to stop the polling loop
  openToken: 0, // bumped when another session is opened: late answers are dropped
  sessions: [],
  sessionsCursor: null,
  sessionsFromApi: true,
  comments: new Map(), // "approve:<plan id>" -> a comment typed but not yet accepted by the API
  expiryTimer: null, // re-reads a pending plan once its approval deadline has passed
  auditOpen: false,
};

const api = new Api(() => state.identity);

// Errors and notes -----------------------------------------------------------------------------

let alertFrom = null; // "poll" when the alert says the run could not be followed

function showError(doing, error, from = null) {
  const text = describeError(doing, error);
  const alert = $("alert");
  if (alert.textContent !== text) alert.textContent = text;
  $("alert-dismiss").hidden = false;
  alertFrom = from;
}

function clearError() {
  $("alert").textContent = "";
  $("alert-dismiss").hidden = true;
  alertFrom = null;
}

/**
 * A confirmation in a real <dialog>. With `comment` (the text to start with; "" for none) it
 * has an optional comment field. Resolves {confirmed, comment}: confirmed only when the person
 * confirms; comment is what the field holds then, kept by the caller even on a "no".
 */
function confirmDialog({ title, text, confirm, cancel, comment = null, destructive = false }) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = confirm;
  $("confirm-ok").className = destructive ? "destructive" : "primary"; // what cannot be undone
  $("confirm-cancel").textContent = cancel;
  $("confirm-comment-field").hidden = comment === null;
  $("confirm-comment").value = comment ?? "";
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () =>
        resolve({
          confirmed: dialog.returnValue === "confirm",
          comment: comment === null ? "" : $("confirm-comment").value,
        }),
      { once: true },
    );
    dialog.showModal();
    $("confirm-cancel").focus(); // the safe choice has the focus
  });
}

// The address ------------------------------------------------------------------------------------

function parseAddress() {
  const match = /^#\/session\/([^/]+)(?:\/plan\/([^/]+))?\/?$/.exec(location.hash);
  if (!match) return { sessionId: null, planId: null };
  return {
    sessionId: decodeURIComponent(match[1]),
    planId: match[2] ? decodeURIComponent(match[2]) : null,
  };
}

function setAddress() {
  let hash = "";
  if (state.session) {
    hash = `#/session/${encodeURIComponent(state.session.session_id)}`;
    if (state.plan) hash += `/plan/${encodeURIComponent(state.plan.plan_id)}`;
  }
  if (location.hash !== hash) {
    history.replaceState(null, "", hash || location.pathname + location.search);
  }
}

// Identity -------------------------------------------------------------------------------------

function fillIdentityForm() {
  $("user-id").value = state.identity.userId;
  $("base-url").value = state.identity.baseUrl;
  $("token").value = state.identity.token;
}

function describeIdentity() {
  const { userId, token, baseUrl } = state.identity;
  const who = token ? "with your bearer token" : userId ? `as ${userId}` : "without an identity";
  const where = baseUrl ? `at ${baseUrl}` : "on this page's own API";
  $("identity-status").textContent = `Working ${who}, ${where}.`;
}

$("identity").addEventListener("submit", async (event) => {
  event.preventDefault();
  document.body.dataset.ready = "false"; // until the sessions (and the open one) are read again
  state.identity = {
    userId: $("user-id").value.trim(),
    baseUrl: $("base-url").value.trim(),
    token: $("token").value.trim(),
  };
  saveIdentity(state.identity);
  describeIdentity();
  clearError();
  await loadSessions({ reset: true });
  const { sessionId, planId } = parseAddress();
  if (sessionId) await openSession(sessionId, { planId });
  document.body.dataset.ready = "true";
});

// Sessions list ----------------------------------------------------------------------------------

function sessionLabel(session) {
  return `Session started ${formatTime(session.created_at)}`;
}

function renderSessions() {
  const list = $("session-list");
  const openId = state.session?.session_id;
  list.replaceChildren(
    ...state.sessions.map((session) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#/session/${encodeURIComponent(session.session_id)}`;
      link.className = "session-link";
      if (session.session_id === openId) link.setAttribute("aria-current", "page");
      const name = document.createElement("span");
      name.className = "session-name";
      name.textContent = sessionLabel(session);
      const separator = document.createElement("span");
      separator.className = "visually-hidden";
      separator.textContent = ", ";
      const activity = document.createElement("span");
      activity.className = "session-activity";
      activity.textContent = `last activity ${formatTime(session.last_activity)}`;
      link.append(name, separator, sessionBadge(session.status), " ", activity);
      item.append(link);
      return item;
    }),
  );
  $("more-sessions").hidden = !(state.sessionsFromApi && state.sessionsCursor);
  if (!state.sessions.length) {
    $("sessions-note").textContent = "No sessions yet: start one with New session.";
  } else if (!state.sessionsFromApi) {
    $("sessions-note").textContent = "Sessions opened in this browser, newest first.";
  } else {
    $("sessions-note").textContent = "Newest activity first.";
  }
}

/** Put a session's latest state in the list (top if it is the newest) and remember it. */
function noteSession(session) {
  rememberSession(state.identity, session);
  const entry = {
    session_id: session.session_id,
    created_at: session.created_at,
    last_activity: session.last_activity,
    status: session.status,
  };
  const others = state.sessions.filter((s) => s.session_id !== entry.session_id);
  state.sessions = [entry, ...others].sort(byActivity);
  renderSessions();
}

async function loadSessions({ reset }) {
  if (reset) {
    state.sessions = [];
    state.sessionsCursor = null;
    state.sessionsFromApi = true;
  }
  try {
    const page = await api.listSessions(state.sessionsCursor);
    const known = new Set(state.sessions.map((s) => s.session_id));
    state.sessions.push(...(page.sessions || []).filter((s) => !known.has(s.session_id)));
    state.sessionsCursor = page.next_cursor || null;
  } catch (error) {
    if (error.status === 404 || error.status === 405) {
      // This API has no list of sessions: show those opened in this browser.
      state.sessionsFromApi = false;
      state.sessions = rememberedSessions(state.identity);
      state.sessionsCursor = null;
    } else {
      showError("Loading your sessions", error);
      state.sessionsFromApi = false;
      state.sessions = rememberedSessions(state.identity);
    }
  }
  renderSessions();
}

$("more-sessions").addEventListener("click", () => loadSessions({ reset: false }));

$("new-session").addEventListener("click", async () => {
  clearError();
  const button = $("new-session");
  button.disabled = true;
  try {
    const session = await api.createSession();
    showSession(session);
    $("composer-input").focus();
  } catch (error) {
    showError("Starting a new session", error);
  } finally {
    button.disabled = false;
  }
});

// The conversation ------------------------------------------------------------------------------

const ROLE_NAMES = { user: "You", assistant: "Chiffon", system: "System" };

function messageItem(message) {
  const item = document.createElement("li");
  item.className = `message role-${message.role}`;
  item.dataset.id = message.id;
  const head = document.createElement("p");
  head.className = "message-head";
  const who = document.createElement("strong");
  who.textContent = ROLE_NAMES[message.role] || message.role;
  const when = document.createElement("time");
  when.dateTime = message.timestamp;
  when.textContent = formatTime(message.timestamp);
  head.append(who, " ", when);
  const body = document.createElement("div");
  body.className = "message-body";
  body.textContent = message.content;
  item.append(head, body);
  return item;
}

function appendMessages(messages) {
  const fresh = messages.filter((m) => !state.messageIds.has(m.id));
  for (const message of fresh) state.messageIds.add(message.id);
  $("messages").append(...fresh.map(messageItem));
  $("history-empty").hidden = state.messageIds.size > 0;
  const history = $("history");
  history.scrollTop = history.scrollHeight;
}

function prependMessages(messages) {
  const fresh = messages.filter((m) => !state.messageIds.has(m.id));
  for (const message of fresh) state.messageIds.add(message.id);
  const history = $("history");
  const fromBottom = history.scrollHeight - history.scrollTop;
  $("messages").prepend(...fresh.map(messageItem));
  history.scrollTop = history.scrollHeight - fromBottom; // keep what the person was reading
  $("history-empty").hidden = state.messageIds.size > 0;
}

function updateOlderButton() {
  $("older").hidden = !state.olderCursor;
}

async function loadOlder() {
  if (!state.session || !state.olderCursor || state.loadingOlder) return;
  const token = state.openToken;
  state.loadingOlder = true;
  const button = $("older");
  button.disabled = true;
  button.textContent = "Loading older messages…";
  try {
    const page = await api.olderMessages(state.session.session_id, state.olderCursor);
    if (token !== state.openToken) return;
    prependMessages(page.messages || []);
    state.olderCursor = page.next_cursor || null;
  } catch (error) {
    if (token === state.openToken) showError("Loading older messages", error);
  } finally {
    state.loadingOlder = false;
    button.disabled = false;
    button.textContent = "Load older messages";
    updateOlderButton();
  }
}

$("older").addEventListener("click", loadOlder);
$("history").addEventListener("scroll", () => {
  if ($("history").scrollTop < 40) loadOlder();
});

function showSessionState() {
  const session = state.session;
  $("session-title").textContent = session ? sessionLabel(session) : "No session open";
  const line = $("session-state");
  $("delete-session").hidden = !session;
  if (!session) {
    line.replaceChildren();
    return;
  }
  line.replaceChildren("Session status: ", sessionBadge(session.status));
}

/** Empty the view, then show `session` (a ChatSession, or null for none) in it. */
function resetView(session) {
  stopPolling();
  stopExpiryTimer();
  state.openToken += 1;
  $("session-note").textContent = "";
  state.session = session ? { ...session, messages: undefined } : null;
  state.messageIds = new Set();
  state.olderCursor = session?.older_messages_cursor || null;
  state.plan = null;
  state.runSteps = new Map();
  state.overall = null;
  $("messages").replaceChildren();
  hidePlan();
  showAudit(null);
  appendMessages(session?.messages || []);
  updateOlderButton();
  showSessionState();
}

/** Show `session` as the open one, its messages replacing any others. */
function showSession(session) {
  resetView(session);
  noteSession(session);
  setAddress();
}

function closeSession() {
  resetView(null);
  renderSessions();
  setAddress();
}

function latestPlanIdIn(messages) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const id = messages[i].metadata?.plan_id;
    if (id) return id;
  }
  return null;
}

async function openSession(sessionId, { planId = null } = {}) {
  const token = ++state.openToken;
  let session;
  try {
    session = await api.getSession(sessionId);
  } catch (error) {
    if (token !== state.openToken) return;
    showError("Opening the session", error);
    if (error.status === 404) {
      forgetSession(state.identity, sessionId);
      state.sessions = state.sessions.filter((s) => s.session_id !== sessionId);
      closeSession(); // nothing of another identity's session stays on the screen
    }
    return;
  }
  if (token !== state.openToken) return;
  showSession(session);
  const shown = planId || session.current_plan_id || latestPlanIdIn(session.messages || []);
  if (shown) await openPlan(shown);
}

/** Re-read the session (status and newest messages) after something changed it. */
async function refreshSession() {
  if (!state.session) return;
  const token = state.openToken;
  try {
    const session = await api.getSession(state.session.session_id);
    if (token !== state.openToken) return;
    state.session = { ...session, messages: undefined };
    appendMessages(session.messages || []);
    showSessionState();
    noteSession(session);
  } catch (error) {
    if (token === state.openToken) showError("Refreshing the session", error);
  }
}

async function send(text) {
  if (!state.session) showSession(await api.createSession());
  return api.chat(state.session.session_id, text);
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value.trim();
  if (!text) {
    $("composer-status").textContent = "Type a message first.";
    input.focus();
    return;
  }
  clearError();
  const button = $("send");
  button.disabled = true;
  $("composer-status").textContent = "Sending…";
  try {
    const turn = await send(text);
    input.value = ""; // only once it was accepted: a failed send keeps every word
    appendMessages(turn.messages || []);
    state.session.status = turn.session_status;
    state.session.last_activity = new Date().toISOString();
    showSessionState();
    noteSession(state.session);
    if (turn.plan) showPlan(turn.plan);
    $("composer-status").textContent = "";
  } catch (error) {
    $("composer-status").textContent = "Not sent: your message is still in the box.";
    showError("Sending your message", error);
  } finally {
    button.disabled = false;
  }
});

$("composer-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});

// The plan and its run ---------------------------------------------------------------------------

function planAddress(planId) {
  const session = encodeURIComponent(state.session?.session_id || "");
  return `#/session/${session}/plan/${encodeURIComponent(planId)}`;
}

function showPlan(plan, { keepRun = false } = {}) {
  const another = state.plan?.plan_id !== plan.plan_id;
  if (!keepRun || another) {
    stopPolling();
    state.runSteps = new Map();
    state.overall = null;
  }
  state.plan = plan;
  renderPlan(plan, state.runSteps, state.overall, planAddress);
  watchExpiry(plan);
  setAddress();
  if (another) showAudit(null);
  if (state.auditOpen) loadAudit();
}

function stopExpiryTimer() {
  clearTimeout(state.expiryTimer);
  state.expiryTimer = null;
}

const LONGEST_TIMER_MS = 2_147_483_647; // setTimeout's limit (about 24 days)

/** A plan waiting for approval is read again once its deadline passes, so the card says so. */
function watchExpiry(plan) {
  stopExpiryTimer();
  if (plan.status !== "pending_approval" || isExpired(plan) || !plan.approval_expires_at) return;
  const deadline = new Date(plan.approval_expires_at).getTime();
  if (Number.isNaN(deadline)) return;
  // A second after the deadline, and never sooner than a few seconds, so a clock that differs a
  // little from the API's does not make the page ask again and again.
  const wait = Math.min(LONGEST_TIMER_MS, Math.max(deadline - Date.now() + 1000, 3000));
  const { plan_id: planId } = plan;
  const token = state.openToken;
  state.expiryTimer = setTimeout(async () => {
    if (token !== state.openToken || state.plan?.plan_id !== planId) return;
    try {
      const fresh = await api.getPlan(planId);
      if (token === state.openToken && state.plan?.plan_id === planId) {
        showPlan(fresh, { keepRun: true });
      }
    } catch (error) {
      if (token === state.openToken) showError("Reading the plan again", error);
    }
  }, wait);
}

async function openPlan(planId) {
  const token = state.openToken;
  try {
    const plan = await api.getPlan(planId);
    if (token !== state.openToken) return;
    showPlan(plan);
    // A plan that was ever dispatched: one poll gives its steps' status, and keeps polling
    // while the run goes on.
    if (wasDispatched(plan.status)) startPolling();
  } catch (error) {
    if (token === state.openToken) showError("Opening the plan", error);
  }
}

function stopPolling() {
  state.pollToken += 1;
}

function startPolling() {
  stopPolling();
  pollLoop(state.plan.plan_id, state.pollToken, state.openToken);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function pollLoop(planId, pollToken, openToken) {
  let failures = 0;
  const current = () => pollToken === state.pollToken && openToken === state.openToken;
  while (current()) {
    let wait;
    try {
      const { data, intervalMs } = await api.poll(planId);
      if (!current()) return;
      failures = 0;
      if (alertFrom === "poll") clearError(); // following the run works again
      wait = intervalMs;
      state.overall = data.overall_status;
      state.runSteps = new Map((data.steps || []).map((step) => [step.step_index, step]));
      updatePlan(state.plan, state.runSteps, state.overall);
      if (!isRunning(data.overall_status)) {
        await runFinished(planId, openToken);
        return;
      }
    } catch (error) {
      if (!current()) return;
      showError("Following the run", error, "poll");
      if (error.status === 401 || error.status === 404) return;
      failures += 1;
      wait = Math.min(30_000, 1000 * 2 ** failures); // back off while the API is unwell
    }
    await sleep(wait);
  }
}

async function runFinished(planId, openToken) {
  // The plan view's actions (no abort any more) and the session's closing message.
  try {
    const plan = await api.getPlan(planId);
    if (openToken !== state.openToken || state.plan?.plan_id !== planId) return;
    state.plan = plan;
    updatePlan(plan, state.runSteps, state.overall);
    if (state.auditOpen) loadAudit();
  } catch (error) {
    if (openToken === state.openToken) showError("Reading the finished plan", error);
  }
  await refreshSession();
}

let lastRefusal = null; // the error of the latest plan action that failed

async function planAction(button, doing, action) {
  clearError();
  button.disabled = true;
  lastRefusal = null;
  try {
    return await action();
  } catch (error) {
    showError(doing, error);
    lastRefusal = error;
    return null;
  } finally {
    button.disabled = false;
  }
}

/**
 * Ask for a decision with an optional comment. The comment is kept per plan and decision until
 * the API has accepted it, so a "no", or a refusal, loses nothing typed. Resolves the comment to
 * send, or null when the person did not confirm.
 */
async function decide(kind, plan, dialog) {
  const key = `${kind}:${plan.plan_id}`;
  const answer = await confirmDialog({ ...dialog, comment: state.comments.get(key) ?? "" });
  if (answer.comment.trim()) state.comments.set(key, answer.comment);
  else state.comments.delete(key);
  return answer.confirmed ? answer.comment.trim() : null;
}

/** After a decision was refused: an expired plan is read again, so the card says it expired. */
async function afterRefusal(planId) {
  const error = lastRefusal;
  if (error?.code !== "plan_expired" || state.plan?.plan_id !== planId) return;
  const token = state.openToken;
  try {
    const plan = await api.getPlan(planId);
    if (token === state.openToken && state.plan?.plan_id === planId) {
      showPlan(plan, { keepRun: true });
    }
  } catch {
    // The refusal is already said in the alert; the card stays as it was.
  }
}

$("approve").addEventListener("click", async () => {
  const plan = state.plan;
  const steps = plan.steps.length;
  const comment = await decide("approve", plan, {
    title: "Approve this plan?",
    text: `${steps} step${steps === 1 ? "" : "s"} will run now (risk: ${plan.risk_level}, ` +
      `estimated ${plan.estimated_duration}). You can abort while it runs.`,
    confirm: "Yes, approve and run",
    cancel: "Cancel",
  });
  if (comment === null) return;
  const answer = await planAction($("approve"), "Approving the plan", () =>
    api.approve(plan.plan_id, state.session.session_id, comment),
  );
  if (!answer) {
    await afterRefusal(plan.plan_id);
    return;
  }
  state.comments.delete(`approve:${plan.plan_id}`);
  showPlan(answer.plan, { keepRun: true });
  $("plan-title").focus(); // the Approve button is gone; the card says what happens now
  startPolling();
  await refreshSession();
});

$("reject").addEventListener("click", async () => {
  const plan = state.plan;
  const comment = await decide("reject", plan, {
    title: "Reject this plan?",
    text: "Nothing of it runs. You can ask for another plan afterwards.",
    confirm: "Yes, reject the plan",
    cancel: "Cancel",
  });
  if (comment === null) return;
  const answer = await planAction($("reject"), "Rejecting the plan", () =>
    api.reject(plan.plan_id, state.session.session_id, comment),
  );
  if (!answer) {
    await afterRefusal(plan.plan_id);
    return;
  }
  state.comments.delete(`reject:${plan.plan_id}`);
  state.overall = answer.status;
  try {
    showPlan(await api.getPlan(plan.plan_id), { keepRun: true });
  } catch {
    showPlan({ ...plan, status: "rejected", can_approve: false, can_modify: false });
  }
  await refreshSession();
});

$("abort").addEventListener("click", async () => {
  const plan = state.plan;
  const comment = await decide("abort", plan, {
    title: "Abort this run?",
    text: "Steps still running or waiting are cancelled; steps already finished stay done.",
    confirm: "Yes, abort the run",
    cancel: "Keep running",
    destructive: true,
  });
  if (comment === null) return;
  const answer = await planAction($("abort"), "Aborting the run", () =>
    api.abort(plan.plan_id, state.session.session_id, comment),
  );
  if (!answer) return;
  state.comments.delete(`abort:${plan.plan_id}`);
  state.overall = answer.status;
  updatePlan({ ...plan, can_abort: false }, state.runSteps, state.overall);
  startPolling(); // one more look: the steps' final status, then it stops
  if (state.auditOpen) loadAudit();
  await refreshSession();
});

// The audit trail ---------------------------------------------------------------------------

/** Show `trail` (an AuditTrail) in the card's audit section; null empties it. */
function showAudit(trail) {
  $("audit-list").replaceChildren(...(trail ? auditItems(trail, state.identity.userId) : []));
}

async function loadAudit() {
  const planId = state.plan?.plan_id;
  if (!planId) return;
  const token = state.openToken;
  const status = $("audit-status");
  status.textContent = "Loading the audit trail…";
  try {
    const trail = await api.audit(planId);
    if (token !== state.openToken || state.plan?.plan_id !== planId) return;
    showAudit(trail);
    const count = (trail.entries || []).length;
    status.textContent = `${count} entr${count === 1 ? "y" : "ies"}, read ${formatTime(new Date())}.`;
  } catch (error) {
    if (token !== state.openToken) return;
    status.textContent = "The audit trail could not be read.";
    showError("Reading the audit trail", error);
  }
}

function setAuditOpen(open) {
  state.auditOpen = open;
  $("audit").hidden = !open;
  const toggle = $("audit-toggle");
  toggle.setAttribute("aria-expanded", String(open));
  toggle.textContent = open ? "Hide audit trail" : "Show audit trail";
}

$("audit-toggle").addEventListener("click", () => {
  setAuditOpen(!state.auditOpen);
  if (state.auditOpen) loadAudit();
});

$("audit-refresh").addEventListener("click", loadAudit);

// Deleting a session ----------------------------------------------------------------------

/** The session is gone (deleted, or not there any more): out of the list and off the screen. */
function dropSession(sessionId) {
  forgetSession(state.identity, sessionId);
  state.sessions = state.sessions.filter((s) => s.session_id !== sessionId);
  if (state.session?.session_id === sessionId) closeSession();
  else renderSessions();
}

$("delete-session").addEventListener("click", async () => {
  const session = state.session;
  if (!session) return;
  const answer = await confirmDialog({
    title: "Delete this session?",
    text: "Its conversation and plans are removed for good. The audit trail of its plans " +
      "(who decided what, and when) is kept.",
    confirm: "Yes, delete the session",
    cancel: "Keep the session",
    destructive: true,
  });
  if (!answer.confirmed) return;
  clearError();
  const button = $("delete-session");
  button.disabled = true;
  try {
    await api.deleteSession(session.session_id);
  } catch (error) {
    showError("Deleting the session", error);
    if (error.status === 404) dropSession(session.session_id); // already gone
    return;
  } finally {
    button.disabled = false;
  }
  dropSession(session.session_id);
  $("session-note").textContent =
    "Session deleted: its conversation and plans are gone; their audit trail is kept.";
  $("session-title").focus();
});

$("change-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("change-input");
  const text = input.value.trim();
  if (!text) {
    input.focus();
    return;
  }
  const plan = state.plan;
  const answer = await planAction($("send-change"), "Requesting a change", () =>
    api.modify(plan.plan_id, state.session.session_id, text),
  );
  if (!answer) return; // the request stays in the box
  input.value = "";
  appendMessages(answer.messages || []);
  if (answer.new_plan) {
    showPlan(answer.new_plan);
  } else {
    await openPlan(plan.plan_id);
  }
  await refreshSession();
});

// The skip link moves the focus without touching the address (which names the open session).
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  $("composer-input").focus();
});

$("alert-dismiss").addEventListener("click", () => {
  clearError();
  $("composer-input").focus();
});

// Start --------------------------------------------------------------------------------------

window.addEventListener("hashchange", () => {
  const { sessionId, planId } = parseAddress();
  if (sessionId && sessionId !== state.session?.session_id) {
    clearError();
    openSession(sessionId, { planId });
  } else if (sessionId && planId && planId !== state.plan?.plan_id) {
    clearError(); // a link to another plan of this session (e.g. the revision it replaces)
    openPlan(planId);
  }
});

async function start() {
  fillIdentityForm();
  describeIdentity();
  const { sessionId, planId } = parseAddress();
  await Promise.all([
    loadSessions({ reset: true }),
    sessionId ? openSession(sessionId, { planId }) : Promise.resolve(),
  ]);
  document.body.dataset.ready = "true";
}

start();
