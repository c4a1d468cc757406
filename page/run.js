// Following a run: GET /plan/{id}/poll at the interval the API asks for (its X-Poll-Interval
// header) until the run has finished; while the API is unwell the page says so and asks less
// often, and says nothing more once it answers again.

import { alertIsFrom, clearError, showError } from "./alert.js";
import { isRunning } from "./words.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll the plan `planId` while `isCurrent()` (the page still shows it and nothing started
 * another loop): `onPoll(data)` with each answer, then `onFinished()` once the run has ended.
 */
export async function followRun(api, planId, { isCurrent, onPoll, onFinished }) {
  let failures = 0;
  while (isCurrent()) {
    let wait;
    try {
      const { data, intervalMs } = await api.poll(planId);
      if (!isCurrent()) return;
      failures = 0;
      if (alertIsFrom("poll")) clearError(); // following the run works again
      wait = intervalMs;
      onPoll(data);
      if (!isRunning(data.overall_status)) {
        await onFinished();
        return;
      }
    } catch (error) {
      if (!isCurrent()) return;
      showError("Following the run", error, "poll");
      if (error.status === 401 || error.status === 404) return;
      failures += 1;
      wait = Math.min(30_000, 1000 * 2 ** failures); // back off while the API is unwell
    }
    await sleep(wait);
  }
}
