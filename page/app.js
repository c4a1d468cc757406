// The page: who you are, your sessions, the conversation, the plan card and its run. This module
// holds what is open (the state below) and wires the controls to the API; the pieces with a job
// of their own (the address, the alert, the dialog, the conversation, the sessions list,
// following a run, expiry, deleting a session) are modules beside it.

import { parseAddress, planAddress, setAddress } from "./address.js";
import { clearError, showError } from "./alert.js";
import { Api } from "./api.js";
import { auditItems } from "./audit.js";
import { appendMessages, clearMessages, prependMessages } from "./conversation.js";
import { confirmDialog } from "./dialog.js";
import { refusedAsExpired, stopWatchingExpiry, watchExpiry } from "./expiry.js";
import { hidePlan, renderPlan, updatePlan } from "./plan.js";
import { followRun } from "./run.js";
import { deleteAgain, deleteSession } from "./session-delete.js";
import { renderSessions as showSessionList, sessionLabel } from "./session-list.js";
import {
  byActivity,
  forgetSession,
  listEntry,
  loadIdentity,
  rememberedSessions,
  rememberSession,
  saveIdentity,
} from "./storage.js";
import { formatTime, sessionBadge, wasDispatched } from "./words.js";

const $ = (id) => document.getElementById(id);

const state = {
  identity: loadIdentity(),
  session: null, // the open ChatSession (without its messages)
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
  auditOpen: false,
};

const api = new Api(() => state.identity);

/** Make the address name what is open (a reload or a shared link lands back in it). */
function showAddress() {
  setAddress(state.session?.session_id, state.plan?.plan_id);
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

function renderSessions() {
  showSessionList(state.sessions, {
    openId: state.session?.session_id,
    fromApi: state.sessionsFromApi,
    hasMore: Boolean(state.sessionsCursor),
    deleteAgain: (session, button) => deleteAgain(api, session, button, dropSession),
  });
}

/** Put a session's latest state in the list (top if it is the newest) and remember it. */
function noteSession(session) {
  rememberSession(state.identity, session);
  const entry = listEntry(session);
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
  line.replaceChildren("Session status: ", sessionBadge(session));
}

/** Empty the view, then show `session` (a ChatSession, or null for none) in it. */
function resetView(session) {
  stopPolling();
  stopWatchingExpiry();
  state.openToken += 1;
  $("session-note").textContent = "";
  state.session = session ? { ...session, messages: undefined } : null;
  state.olderCursor = session?.older_messages_cursor || null;
  state.plan = null;
  state.runSteps = new Map();
  state.overall = null;
  clearMessages();
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
  showAddress();
}

function closeSession() {
  resetView(null);
  renderSessions();
  showAddress();
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
      // A session whose delete did not finish answers 404 too; it stays listed, to finish it.
      state.sessions = state.sessions.filter((s) => s.session_id !== sessionId || s.deleting);
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
    // A turn with a plan puts it under review: its deadline is the session's (see sessionBadge).
    // One without (a question back, a failure) leaves the plan that waits as it was.
    if (turn.plan) state.session.plan_approval_expires_at = turn.plan.approval_expires_at ?? null;
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

const planLink = (planId) => planAddress(state.session?.session_id, planId);

function showPlan(plan, { keepRun = false } = {}) {
  const another = state.plan?.plan_id !== plan.plan_id;
  if (!keepRun || another) {
    stopPolling();
    state.runSteps = new Map();
    state.overall = null;
  }
  state.plan = plan;
  renderPlan(plan, state.runSteps, state.overall, planLink);
  const token = state.openToken;
  watchExpiry(plan, () => readPlanAgain(plan.plan_id, token, "Reading the plan again"));
  showAddress();
  if (another) showAudit(null);
  if (state.auditOpen) loadAudit();
}

/** Read the plan on the card again: its deadline passed, or an action found it expired. */
async function readPlanAgain(planId, token, doing = null) {
  if (token !== state.openToken || state.plan?.plan_id !== planId) return;
  try {
    const plan = await api.getPlan(planId);
    if (token === state.openToken && state.plan?.plan_id === planId) {
      showPlan(plan, { keepRun: true });
      // The session's status and its line in the list read the same deadline: say it there too.
      showSessionState();
      renderSessions();
    }
  } catch (error) {
    // After a refusal (no `doing`) the alert already says why; the card stays as it was.
    if (doing && token === state.openToken) showError(doing, error);
  }
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
  const { pollToken, openToken } = state;
  const planId = state.plan.plan_id;
  followRun(api, planId, {
    isCurrent: () => pollToken === state.pollToken && openToken === state.openToken,
    onPoll: (data) => {
      state.overall = data.overall_status;
      state.runSteps = new Map((data.steps || []).map((step) => [step.step_index, step]));
      updatePlan(state.plan, state.runSteps, state.overall);
    },
    onFinished: () => runFinished(planId, openToken),
  });
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
  if (refusedAsExpired(lastRefusal)) await readPlanAgain(planId, state.openToken);
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

$("delete-session").addEventListener("click", () => {
  if (state.session) deleteSession(api, state.session.session_id, dropSession);
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
