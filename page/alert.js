// The alert region (role="alert"): what failed, in words, until it is dismissed or the next
// action clears it.

import { describeError } from "./api.js";

const $ = (id) => document.getElementById(id);

let alertFrom = null; // "poll" when the alert says the run could not be followed

/** Say in the alert that `doing` failed with `error`; `from` names who said it. */
export function showError(doing, error, from = null) {
  const text = describeError(doing, error);
  const alert = $("alert");
  if (alert.textContent !== text) alert.textContent = text;
  $("alert-dismiss").hidden = false;
  alertFrom = from;
}

export function clearError() {
  $("alert").textContent = "";
  $("alert-dismiss").hidden = true;
  alertFrom = null;
}

/** Whether the alert on the screen is the one `from` showed (so it may take it back). */
export function alertIsFrom(from) {
  return alertFrom === from;
}
