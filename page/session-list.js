// The sessions list: each of the person's sessions as a link that opens it, with its status in
// words and its last activity; the open one is marked as the current page.

import { formatTime, sessionBadge } from "./words.js";

const $ = (id) => document.getElementById(id);

export function sessionLabel(session) {
  return `Session started ${formatTime(session.created_at)}`;
}

function sessionItem(session, openId) {
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
}

/**
 * Show `sessions` (newest activity first). `fromApi`: they come from the API's list (else from
 * this browser's memory); `hasMore`: the API has another page of them.
 */
export function renderSessions(sessions, { openId, fromApi, hasMore }) {
  $("session-list").replaceChildren(...sessions.map((session) => sessionItem(session, openId)));
  $("more-sessions").hidden = !(fromApi && hasMore);
  if (!sessions.length) {
    $("sessions-note").textContent = "No sessions yet: start one with New session.";
  } else if (!fromApi) {
    $("sessions-note").textContent = "Sessions opened in this browser, newest first.";
  } else {
    $("sessions-note").textContent = "Newest activity first.";
  }
}
