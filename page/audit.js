// A plan's audit trail (GET /plan/{id}/audit), oldest first: for each entry what happened, who
// did it and when, their comment and the outcome as the orchestrator confirmed it.

import { badge, formatTime, planWord } from "./words.js";

const ACTIONS = {
  created: ["Plan created", "idle"],
  revised: ["Revised", "review"],
  approved: ["Approved", "ok"],
  approval_unknown: ["Approval sent, answer lost", "review"],
  rejected: ["Rejected", "stopped"],
  aborted: ["Aborted", "stopped"],
  expired: ["Expired without approval", "stopped"],
  run_finished: ["Run finished", "ok"],
};

const shortId = (id) => String(id || "").slice(0, 8);

function actor(entry, userId) {
  if (entry.actor === "system") return "the system";
  return entry.actor === userId ? `${entry.actor} (you)` : entry.actor;
}

function line(label, value, className) {
  const p = document.createElement("p");
  p.className = className;
  const name = document.createElement("span");
  name.className = "audit-label";
  name.textContent = `${label}: `;
  p.append(name, value);
  return p;
}

function entryItem(entry, userId) {
  const item = document.createElement("li");
  item.className = "audit-entry";
  item.dataset.action = entry.action;

  const head = document.createElement("p");
  head.className = "audit-what";
  const by = document.createElement("span");
  by.className = "audit-who";
  by.textContent = ` by ${actor(entry, userId)}, `;
  const when = document.createElement("time");
  when.dateTime = entry.at;
  when.textContent = formatTime(entry.at);
  head.append(badge(ACTIONS, entry.action, "audit-action"), by, when);
  item.append(head);

  // The revision is said where a plan came to be; every later entry is about that same plan.
  if (["created", "revised"].includes(entry.action) && entry.revision) {
    const replaces = entry.previous_plan_id ? `, replaces plan ${shortId(entry.previous_plan_id)}` : "";
    item.append(line("Revision", `${entry.revision}${replaces}`, "audit-revision"));
  }
  if (entry.comment) {
    item.append(line("Comment", `“${entry.comment}”`, "audit-comment"));
  }
  if (entry.outcome) {
    // "executing: 2 of 3 steps dispatched": the state in the page's words, then the detail.
    const [state, ...detail] = entry.outcome.split(": ");
    const words = [planWord(state), ...detail].join(": ");
    item.append(line("Outcome", words, "audit-outcome"));
  }
  return item;
}

/** The list items of `trail.entries` (already oldest first), or one line saying there are none. */
export function auditItems(trail, userId) {
  const entries = trail.entries || [];
  if (!entries.length) {
    const none = document.createElement("li");
    none.className = "audit-none";
    none.textContent = "Nothing recorded for this plan yet.";
    return [none];
  }
  return entries.map((entry) => entryItem(entry, userId));
}
