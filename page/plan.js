// The plan card: summary, numbered steps with their live status, risk, duration, resources.
// The card's elements are in index.html; this fills them. Steps are drawn once per plan and then
// updated in place, so the live region announces only the step that changed.

import { planBadge, planWord, riskBadge, stepBadge } from "./words.js";

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

function stepItem(step) {
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

/** Draw the whole card for `plan` (a DashboardPlanView). */
export function renderPlan(plan, runSteps, overall) {
  const card = $("plan");
  card.hidden = false;
  card.dataset.planId = plan.plan_id;
  $("plan-summary").textContent = plan.summary;
  $("plan-risk").replaceChildren(riskBadge(plan.risk_level));
  $("plan-duration").textContent = plan.estimated_duration;
  $("plan-resources").textContent = resourcesInWords(plan.resource_requirements);
  const list = $("plan-steps");
  if (list.dataset.planId !== plan.plan_id || list.children.length !== plan.steps.length) {
    list.dataset.planId = plan.plan_id;
    list.replaceChildren(...plan.steps.map(stepItem));
  }
  updatePlan(plan, runSteps, overall);
}

/** Refresh statuses and actions in place (after a poll or an action). */
export function updatePlan(plan, runSteps, overall) {
  const status = overall || plan.status;
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
  const started = runSteps.size > 0 || !["pending_approval", "rejected", "superseded"].includes(status);
  const words = started
    ? `${completed} of ${plan.steps.length} steps completed. Run status: ${planWord(status)}.`
    : "";
  if (progress.textContent !== words) progress.textContent = words;

  $("approve").hidden = !plan.can_approve;
  $("reject").hidden = !plan.can_approve;
  $("change-form").hidden = !plan.can_modify;
  $("abort").hidden = !plan.can_abort;
  $("plan-actions").hidden = !(plan.can_approve || plan.can_abort);
}

export function hidePlan() {
  const card = $("plan");
  card.hidden = true;
  delete card.dataset.planId;
  const list = $("plan-steps");
  delete list.dataset.planId;
  list.replaceChildren();
  $("run-progress").textContent = "";
}
