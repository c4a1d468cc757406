// Deleting a session (DELETE /session/{id}), once the person has confirmed it. The API keeps the
// audit trail of its plans; a run still going makes it refuse (409 session_busy), said in words.

import { clearError, showError } from "./alert.js";
import { confirmDialog } from "./dialog.js";
import { sessionLabel } from "./session-list.js";

const $ = (id) => document.getElementById(id);

/**
 * Ask, then delete the session `sessionId`. `onGone(sessionId)` takes it off the list and the
 * screen once it is gone: deleted now, or already (404).
 */
export async function deleteSession(api, sessionId, onGone) {
  const answer = await confirmDialog({
    title: "Delete this session?",
    text: "Its conversation and plans are removed for good. The audit trail of its plans " +
      "(who decided what, and when) is kept.",
    confirm: "Yes, delete the session",
    cancel: "Keep the session",
    destructive: true,
  });
  if (!answer.confirmed) return;
  const deleted = await sendDelete(api, sessionId, $("delete-session"), onGone);
  if (!deleted) return;
  $("session-note").textContent =
    "Session deleted: its conversation and plans are gone; their audit trail is kept.";
  $("session-title").focus();
}

/**
 * Send the DELETE again for a session whose delete stopped half way (listed as "Deleting did not
 * finish"): the person confirmed it once already.
 */
export async function deleteAgain(api, session, button, onGone) {
  const deleted = await sendDelete(api, session.session_id, button, onGone);
  if (!deleted) return;
  // Said apart from the open session (which may be another one), naming the one deleted.
  $("session-note").textContent = `${sessionLabel(session)}: deleted now. Its conversation ` +
    "and plans are gone; their audit trail is kept.";
  $("sessions-title").focus(); // its button is gone with it
}

/** DELETE the session with `button` disabled meanwhile; resolves true when it was deleted now. */
async function sendDelete(api, sessionId, button, onGone) {
  clearError();
  button.disabled = true;
  try {
    await api.deleteSession(sessionId);
  } catch (error) {
    showError("Deleting the session", error);
    if (error.status === 404) onGone(sessionId); // already gone
    return false;
  } finally {
    button.disabled = false;
  }
  onGone(sessionId);
  return true;
}
