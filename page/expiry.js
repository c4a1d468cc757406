// Approval expiry on the page: a plan waiting for approval is read again once its deadline
// (the view's approval_expires_at) has passed, so the card says it expired without a reload.

import { isExpired } from "./plan.js";

const LONGEST_TIMER_MS = 2_147_483_647; // setTimeout's limit (about 24 days)

let timer = null; // the one plan on the card is the one watched

export function stopWatchingExpiry() {
  clearTimeout(timer);
  timer = null;
}

/**
 * Call `readAgain()` once `plan`'s approval deadline has passed, if it is waiting for approval;
 * watching another plan, or stopping, cancels it.
 */
export function watchExpiry(plan, readAgain) {
  stopWatchingExpiry();
  if (plan.status !== "pending_approval" || isExpired(plan) || !plan.approval_expires_at) return;
  const deadline = new Date(plan.approval_expires_at).getTime();
  if (Number.isNaN(deadline)) return;
  // A second after the deadline, and never sooner than a few seconds, so a clock that differs a
  // little from the API's does not make the page ask again and again.
  const wait = Math.min(LONGEST_TIMER_MS, Math.max(deadline - Date.now() + 1000, 3000));
  timer = setTimeout(readAgain, wait);
}

/** Whether an action was refused because the plan expired (the card is then read again). */
export function refusedAsExpired(error) {
  return error?.code === "plan_expired";
}
