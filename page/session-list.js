// The sessions list: each of the person's sessions as a link that opens it, with its status in
// words and its last activity; the open one is marked as the current page. A session whose
// delete did not finish is listed with a button that sends it again.

import { badge, formatTime, sessionBadge } from "./words.js";

const $ = (id) => document.getElementById(id);

export function sessionLabel(session) {
  return `Session started ${formatTime(session.created_at)}`;
}

/** The session's name, then a comma only a screen reader says before what follows. */
function sessionName(session) {
  const name = document.createElement("span");
  name.className = "session-name";
  name.textContent = sessionLabel(session);
  const separator = document.createElement("span");
  separator.className = "visually-hidden";
  separator.textContent = ", ";
  return [name, separator];
}

/**
 * A session whose delete stopped half way (the API lists it with `deleting: true`; it is gone for
 * everything else, so it is not a link): said in words, with a button that sends the delete again.
 */
function unfinishedDeleteItem(session, deleteAgain) {
  const item = document.createElement("li");
  item.className = "session-deleting";
  const status = badge(DELETING, "deleting");
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Delete again";
  // Its visible words first, then which session: every such button has a name of its own.
  button.setAttribute("aria-label", `Delete again: ${sessionLabel(session)}`);
  button.addEventListener("click", () => deleteAgain(session, button));
  item.append(...sessionName(session), status, " ", button);
  return item;
}

const DELETING = { deleting: ["Deleting did not finish", "bad"] };

function sessionItem(session, openId, deleteAgain) {
  if (session.deleting) return unfinishedDeleteItem(session, deleteAgain);
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `#/session/${encodeURIComponent(session.session_id)}`;
  link.className = "session-link";
  if (session.session_id === openId) link.setAttribute("aria-current", "page");
  const activity = document.createElement("span");
  activity.className = "session-activity";
  activity.textContent = `last activity ${formatTime(session.last_activity)}`;
  link.append(...sessionName(session), sessionBadge(session), " ", activity);
  item.append(link);
  return item;
}

/**
 * Show `sessions` (newest activity first). `fromApi`: they come from the API's list (else from
 * this browser's memory); `hasMore`: the API has another page of them; `deleteAgain(session,
 * button)`: what the button of a session whose delete did not finish does.
 */
export function renderSessions(sessions, { openId, fromApi, hasMore, deleteAgain }) {
  const items = sessions.map((session) => sessionItem(session, openId, deleteAgain));
  $("session-list").replaceChildren(...items);
  $("more-sessions").hidden = !(fromApi && hasMore);
  if (!sessions.length) {
    $("sessions-note").textContent = "No sessions yet: start one with New session.";
  } else if (!fromApi) {
    $("sessions-note").textContent = "Sessions opened in this browser, newest first.";
  } else {
    $("sessions-note").textContent = "Newest activity first.";
  }
}
