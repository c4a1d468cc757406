// The plan card: its revision and what changed since the one it replaces, until when it can be
// approved, summary, numbered steps with their live status, risk, duration, resources.
// The card's elements are in index.html; this fills them. Steps are drawn once per plan and then
// updated in place, so the live region announces only the step that changed.

import { diffItems, markedSteps } from "./diff.js";
import {
  formatTime,
  planBadge,
  planWord,
  riskBadge,
  stepBadge,
  wasDispatched,
} from "./words.js";

const $ = (id) => document.getElementById(id);

/** The status of step `index` (1-based): the run's live update, else the plan view's own. */
export function stepStatus(plan, runSteps, index) {
  const update = runSteps.get(index);
  if (update && update.status) return update.status;
  const step = plan.steps.find((s) => s.index === index);
  if (step && typeof step.status === "string") return step.status;
  return step && step.checked ? "completed" : "pending";
}

function resourcesInWords(resources) {
  if (!resources) return "not stated";
  const parts = [];
  const cores = resources.cpu_cores;
  if (cores) parts.push(`${cores} CPU core${cores === 1 ? "" : "s"}`);
  parts.push(resources.gpu_vram_mb ? `${resources.gpu_vram_mb} MB GPU memory` : "no GPU");
  return parts.join(", ");
}

function stepItem(step, marks) {
  const item = document.createElement("li");
  item.className = "step";
  item.dataset.index = String(step.index);
  item.setAttribute("aria-atomic", "true"); // announce "name: status", not a lone status word

  const line = document.createElement("div");
  line.className = "step-line";
  const name = document.createElement("span");
  name.className = "step-name";
  name.textContent = step.name;
  const separator = document.createElement("span");
  separator.className = "visually-hidden";
  separator.textContent = ": ";
  const status = document.createElement("span");
  status.className = "step-status-slot";
  line.append(name, separator, status);
  item.append(line);
  const mark = marks.get(step.name);
  if (mark) {
    const tag = document.createElement("p");
    tag.className = `step-mark ${mark.startsWith("New") ? "mark-new" : "mark-changed"}`;
    tag.textContent = mark;
    item.append(tag);
  }

  if (step.description) {
    const description = document.createElement("p");
    description.className = "step-description";
    description.textContent = step.description;
    item.append(description);
  }
  const facts = [step.work_type, step.estimated_duration].filter(Boolean);
  if (facts.length) {
    const meta = document.createElement("p");
    meta.className = "step-meta";
    meta.textContent = facts.join(" · ");
    item.append(meta);
  }
  const error = document.createElement("p");
  error.className = "step-error";
  error.hidden = true;
  item.append(error);
  return item;
}

/** An expired plan: it waited for approval past its deadline (the API's word for it). */
export function isExpired(plan) {
  return Boolean(plan.expired) || plan.status === "expired";
}

/** "Revision 2, replaces revision 1" (a link to it, when it is still there to compare with). */
function renderRevision(plan, addressOf) {
  const line = $("plan-revision");
  if (!plan.revision) {
    line.replaceChildren();
    return;
  }
  const parts = [`Revision ${plan.revision}`];
  if (plan.previous_plan_id) {
    const before = plan.diff?.previous_revision ?? plan.revision - 1;
    parts.push(", replaces ");
    if (plan.diff) {
      const link = document.createElement("a");
      link.href = addressOf(plan.previous_plan_id);
      link.textContent = `revision ${before}`;
      parts.push(link);
    } else {
      parts.push(`revision ${before} (no longer stored, so nothing to compare with)`);
    }
  }
  line.replaceChildren(...parts);
}

/** Until when it can be approved, or that it expired (and when) with what to do instead. */
function renderExpiry(plan) {
  const line = $("plan-expiry");
  line.className = "expiry";
  if (isExpired(plan)) {
    line.classList.add("expired");
    const when = plan.approval_expires_at ? ` on ${formatTime(plan.approval_expires_at)}` : "";
    line.textContent =
      `This plan expired${when} before it was approved, so it can no longer be approved. ` +
      "Ask for a fresh plan: request a change, or send your request again.";
  } else if (plan.status === "pending_approval" && plan.approval_expires_at) {
    line.textContent = `Can be approved until ${formatTime(plan.approval_expires_at)}.`;
  } else {
    line.textContent = "";
  }
}

function renderDiff(plan) {
  const section = $("plan-diff");
  if (!plan.diff) {
    section.hidden = true;
    $("diff-list").replaceChildren();
    return;
  }
  $("diff-title").textContent = `What changed since revision ${plan.diff.previous_revision}`;
  $("diff-list").replaceChildren(...diffItems(plan.diff));
  section.hidden = false;
}

/** Draw the whole card for `plan` (a DashboardPlanView); addressOf(planId) is a plan's link. */
export function renderPlan(plan, runSteps, overall, addressOf) {
  const card = $("plan");
  card.hidden = false;
  card.dataset.planId = plan.plan_id;
  renderRevision(plan, addressOf);
  renderDiff(plan);
  $("plan-summary").textContent = plan.summary;
  $("plan-risk").replaceChildren(riskBadge(plan.risk_level));
  $("plan-duration").textContent = plan.estimated_duration;
  $("plan-resources").textContent = resourcesInWords(plan.resource_requirements);
  const list = $("plan-steps");
  if (list.dataset.planId !== plan.plan_id || list.children.length !== plan.steps.length) {
    list.dataset.planId = plan.plan_id;
    const marks = markedSteps(plan.diff);
    list.replaceChildren(...plan.steps.map((step) => stepItem(step, marks)));
  }
  updatePlan(plan, runSteps, overall);
}

/** Refresh statuses and actions in place (after a poll or an action). */
export function updatePlan(plan, runSteps, overall) {
  const status = overall || (isExpired(plan) ? "expired" : plan.status);
  const slot = $("plan-status");
  if (slot.firstChild?.dataset?.status !== status) slot.replaceChildren(planBadge(status));

  let completed = 0;
  for (const item of $("plan-steps").children) {
    const index = Number(item.dataset.index);
    const now = stepStatus(plan, runSteps, index);
    if (now === "completed") completed += 1;
    const badgeSlot = item.querySelector(".step-status-slot");
    if (badgeSlot.firstChild?.dataset?.status !== now) {
      badgeSlot.replaceChildren(stepBadge(now));
      item.dataset.status = now;
    }
    const error = item.querySelector(".step-error");
    const text = runSteps.get(index)?.error || "";
    if (error.textContent !== text) {
      error.textContent = text ? `Error: ${text}` : "";
      error.hidden = !text;
    }
  }

  const progress = $("run-progress");
  const started = runSteps.size > 0 || wasDispatched(status);
  const words = started
    ? `${completed} of ${plan.steps.length} steps completed. Run status: ${planWord(status)}.`
    : "";
  if (progress.textContent !== words) progress.textContent = words;

  renderExpiry(plan);
  // An expired plan keeps its Approve button, disabled, next to the words that say why; it can
  // still be rejected, or changed into a fresh plan.
  const expired = isExpired(plan) && ["pending_approval", "expired"].includes(plan.status);
  const approve = $("approve");
  approve.hidden = !(plan.can_approve || expired);
  approve.disabled = !plan.can_approve;
  approve.classList.toggle("unavailable", !plan.can_approve);
  $("reject").hidden = !(plan.can_approve || expired);
  $("change-form").hidden = !plan.can_modify;
  $("abort").hidden = !plan.can_abort;
  $("plan-actions").hidden = !(plan.can_approve || plan.can_abort || expired);
}

export function hidePlan() {
  const card = $("plan");
  card.hidden = true;
  delete card.dataset.planId;
  const list = $("plan-steps");
  delete list.dataset.planId;
  list.replaceChildren();
  $("run-progress").textContent = "";
  $("plan-revision").replaceChildren();
  $("plan-expiry").textContent = "";
  $("plan-diff").hidden = true;
}
