// What the page keeps in this browser (localStorage): who the person is, and the sessions they
// opened here (the session list's fallback when the API has no list of sessions).

const IDENTITY = "chiffon.identity";
const REMEMBERED = "chiffon.sessions";
const KEEP = 100;

function read(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key));
    return value ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or a full store: the page still works, it just forgets on reload.
  }
}

export function loadIdentity() {
  const saved = read(IDENTITY, {});
  return {
    userId: typeof saved.userId === "string" ? saved.userId : "",
    baseUrl: typeof saved.baseUrl === "string" ? saved.baseUrl : "",
    token: typeof saved.token === "string" ? saved.token : "",
  };
}

export function saveIdentity(identity) {
  write(IDENTITY, identity);
}

function rememberedKey(identity) {
  return `${REMEMBERED}:${identity.baseUrl || "same-origin"}|${identity.userId || ""}`;
}

/** Sessions opened in this browser by this identity, newest activity first. */
export function rememberedSessions(identity) {
  const list = read(rememberedKey(identity), []);
  return Array.isArray(list)
    ? list.filter((s) => s && typeof s.session_id === "string").sort(byActivity)
    : [];
}

/** What the sessions list shows of a session. */
export function listEntry(session) {
  return {
    session_id: session.session_id,
    created_at: session.created_at,
    last_activity: session.last_activity,
    status: session.status,
    plan_approval_expires_at: session.plan_approval_expires_at ?? null,
  };
}

export function rememberSession(identity, session) {
  const entry = listEntry(session);
  const others = rememberedSessions(identity).filter((s) => s.session_id !== entry.session_id);
  write(rememberedKey(identity), [entry, ...others].sort(byActivity).slice(0, KEEP));
}

export function forgetSession(identity, sessionId) {
  const kept = rememberedSessions(identity).filter((s) => s.session_id !== sessionId);
  write(rememberedKey(identity), kept);
}

export function byActivity(a, b) {
  return String(b.last_activity || "").localeCompare(String(a.last_activity || ""));
}
