// The page's address carries what is open, #/session/<id>/plan/<id>, so a reload or a shared
// link lands back in the same session and plan.

/** The session and plan the address names (null for what it does not name). */
export function parseAddress() {
  const match = /^#\/session\/([^/]+)(?:\/plan\/([^/]+))?\/?$/.exec(location.hash);
  if (!match) return { sessionId: null, planId: null };
  return {
    sessionId: decodeURIComponent(match[1]),
    planId: match[2] ? decodeURIComponent(match[2]) : null,
  };
}

/** The address of a plan of a session (a link that opens it). */
export function planAddress(sessionId, planId) {
  return `#/session/${encodeURIComponent(sessionId || "")}/plan/${encodeURIComponent(planId)}`;
}

/** Make the address name `sessionId` and `planId` (either may be null), without a new entry
 * in the history. */
export function setAddress(sessionId, planId) {
  let hash = "";
  if (sessionId) {
    hash = `#/session/${encodeURIComponent(sessionId)}`;
    if (planId) hash += `/plan/${encodeURIComponent(planId)}`;
  }
  if (location.hash !== hash) {
    history.replaceState(null, "", hash || location.pathname + location.search);
  }
}
