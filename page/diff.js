// A revision's diff against the plan it replaces (the plan view's `diff`), in words: steps
// added, removed and changed, then the total duration and risk before and after. Each line
// starts with a word (Added, Removed, Changed); its symbol and colour only repeat it.

import { beforeAfter, riskBadge } from "./words.js";

const FIELD_WORDS = {
  name: "name",
  work_type: "work type",
  parameters: "parameters",
  estimated_duration: "estimated duration",
  estimated_duration_seconds: "estimated duration",
  position: "place in the plan",
};

function fieldWord(field) {
  return FIELD_WORDS[field] || String(field).replaceAll("_", " ");
}

function shown(value) {
  if (value === null || value === undefined || value === "") return "none";
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((item) => typeof item !== "object")) {
    return value.length ? value.join(", ") : "none";
  }
  return JSON.stringify(value);
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** "target: staging → production" for each parameter that differs (objects compared by key). */
function parameterChanges(before, after) {
  if (!isObject(before) || !isObject(after)) return [["parameters", before, after]];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => [`parameter ${key}`, before[key], after[key]]);
}

function tagged(kind, word, symbol) {
  const item = document.createElement("li");
  item.className = `diff-item diff-${kind}`;
  const tag = document.createElement("span");
  tag.className = "diff-tag";
  const mark = document.createElement("span");
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = `${symbol} `;
  tag.append(mark, word);
  item.append(tag, " ");
  return item;
}

function stepLine(kind, word, symbol, step) {
  const item = tagged(kind, word, symbol);
  const name = document.createElement("strong");
  name.textContent = step.name;
  item.append(name);
  const facts = [step.work_type, step.estimated_duration].filter(Boolean);
  if (facts.length) {
    const meta = document.createElement("span");
    meta.className = "diff-meta";
    meta.textContent = ` (${facts.join(" · ")})`;
    item.append(meta);
  }
  return item;
}

function changeLine(change) {
  const item = tagged("changed", "Changed", "~");
  const name = document.createElement("strong");
  name.textContent = change.name;
  item.append(name);
  const details = document.createElement("ul");
  details.className = "diff-details";
  for (const [field, values] of Object.entries(change.changes || {})) {
    const pairs =
      field === "parameters"
        ? parameterChanges(values?.before, values?.after)
        : [[fieldWord(field), values?.before, values?.after]];
    for (const [label, before, after] of pairs) {
      const line = document.createElement("li");
      line.append(`${label}: `, beforeAfter(shown(before), shown(after)));
      details.append(line);
    }
  }
  item.append(details);
  return item;
}

function totalLine(label, before, after) {
  const item = tagged("total", label, "•");
  item.append(beforeAfter(before, after));
  return item;
}

/** The diff's lines, most telling first; an empty list when the revision changed nothing. */
export function diffItems(diff) {
  const items = [
    ...(diff.added || []).map((step) => stepLine("added", "Added", "+", step)),
    ...(diff.removed || []).map((step) => stepLine("removed", "Removed", "−", step)),
    ...(diff.changed || []).map(changeLine),
  ];
  // A very large diff is stored cut short; the API counts what it left out.
  const left = (diff.more_added || 0) + (diff.more_removed || 0) + (diff.more_changed || 0);
  if (left) {
    const more = document.createElement("li");
    more.className = "diff-item diff-same";
    more.textContent = `… and ${left} more step change${left === 1 ? "" : "s"} not listed.`;
    items.push(more);
  }
  if (!items.length) {
    const same = document.createElement("li");
    same.className = "diff-item diff-same";
    same.textContent = "Same steps as before.";
    items.push(same);
  }
  if (diff.duration) {
    items.push(totalLine("Duration", diff.duration.before, diff.duration.after));
  }
  if (diff.risk) {
    items.push(
      totalLine("Risk", riskBadge(diff.risk.before), riskBadge(diff.risk.after)),
    );
  }
  return items;
}

/** Names of the steps this revision added or changed, to mark them in the steps list. */
export function markedSteps(diff) {
  const marks = new Map();
  for (const step of diff?.added || []) marks.set(step.name, "New in this revision");
  for (const change of diff?.changed || []) marks.set(change.name, "Changed in this revision");
  return marks;
}
