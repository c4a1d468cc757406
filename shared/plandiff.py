"""What a revision changed against the plan it replaces: steps added, removed and changed (every
task field the orchestrator returns, and place), and the total duration and risk before and
after. A comparison of the two plans the orchestrator returned, as a person reads them in the
plan view; it decides nothing about a plan. Pure functions of the two stored plans.

The diff is stored in the revision's item, beside the plan itself, and DynamoDB refuses an item
over 400 KB: a plan whose every step carries a long script would, diffed whole, store it three
times. So what the diff keeps is bounded whatever the plans hold: long values become a preview
with their length and hash, a step lists at most a few keys, and the lists stop at a budget,
counting the rest."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.models import PlanDiff, StepChange, StepSummary, TextChange, ValueChange
from shared.planview import (
    duration_in_words,
    risk_level,
    step_duration,
    step_name,
    tasks_of,
    total_resources,
)
from shared.store.records import PlanRecord

MAX_STEPS_IN_WORDS = 5  # per list in the reply; the plan view's diff has more
MAX_VALUE_CHARS = 80  # a value longer than this (as JSON) is kept as a preview
PREVIEW_CHARS = 40
MAX_NAME_CHARS = 120  # step names and work types, as listed in the diff
MAX_KEY_CHARS = 40
MAX_KEYS = 8  # keys that differ listed per parameters/resource_requirements change
MAX_LISTED = 50  # steps per list (added, removed, changed)
# What the lists may take, as stored (UTF-8 JSON): a tenth of DynamoDB's item limit. The first
# step of each list is kept whatever its size (each is bounded by the limits above).
LIST_BUDGET_BYTES = 40_000
MAX_WORDS_VALUE_CHARS = 40  # a value in the reply
MAX_KEYS_IN_WORDS = 3

# Task fields compared as they are (besides name, work type, parameters, resource requirements,
# dependencies and order): see orchestrator-api.md's WorkTask.
PLAIN_FIELDS = ("agent_type", "alternatives", "estimated_external_ai_calls")


@dataclass(frozen=True)
class _Step:
    position: int  # 1-based, as the plan view numbers the steps
    name: str
    work_type: str | None
    parameters: dict[str, Any]
    # In words, as the view shows it: a few seconds more that read the same are no change.
    estimated_duration: str
    resources: dict[str, Any]  # resource requirements but the duration
    depends_on: tuple[int, ...]  # positions of the steps depended on (0: an unknown order)
    plain: dict[str, Any]  # PLAIN_FIELDS


def _positions(orders: Any, position_of: dict[Any, int]) -> tuple[int, ...]:
    if not isinstance(orders, list):
        return ()
    return tuple(position_of.get(order, 0) for order in orders)


def _steps(plan: PlanRecord) -> list[_Step]:
    # The orchestrator may leave out anything but a task's order and name (see
    # orchestrator-api.md): the same defaults as the plan view, so the diff matches what it shows.
    tasks = tasks_of(plan)
    # depends_on lists orders, renumbered whenever a step is added ahead: compared as steps.
    position_of = {task.get("order"): position for position, task in enumerate(tasks, start=1)}
    return [
        _Step(
            position=position,
            name=step_name(task, position),
            work_type=task.get("work_type") or None,
            parameters=task.get("parameters") or {},
            estimated_duration=step_duration(task),
            resources={
                key: value
                for key, value in (task.get("resource_requirements") or {}).items()
                if key != "estimated_duration_seconds"
            },
            depends_on=_positions(task.get("depends_on"), position_of),
            plain={field: task.get(field) or None for field in PLAIN_FIELDS},
        )
        for position, task in enumerate(tasks, start=1)
    ]


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(value: Any) -> Any:
    """The value itself when short; else a preview that still tells two long values apart."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if len(text) <= MAX_VALUE_CHARS:
        return value
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{text[:PREVIEW_CHARS]}… ({len(text):,} characters, sha256 {digest})"


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _same_name(old: _Step, new: _Step) -> bool:
    return _name_key(old.name) == _name_key(new.name)


def _same_step(old: _Step, new: _Step) -> bool:
    """Plausibly one step under another name: the same work type and most of its parameters
    as they were (or, with no parameters either side, the same place). A deployment to another
    service is another step, not a renamed one."""
    if old.work_type is None or old.work_type != new.work_type:
        return False
    keys = old.parameters.keys() | new.parameters.keys()
    if not keys:
        return old.position == new.position
    kept = [k for k in keys if k in old.parameters and old.parameters[k] == new.parameters.get(k)]
    return 2 * len(kept) > len(keys)


def _pair_steps(
    before: list[_Step], after: list[_Step]
) -> tuple[list[tuple[_Step, _Step]], list[_Step], list[_Step]]:
    """Which step of the new plan is which of the old: (pairs, removed, added).

    By name first: the name is what the person reads, and a planner keeps it for the same kind
    of step, while `order` is renumbered whenever a step is added or removed ahead of another
    (matching by order would call every later step changed). Repeated names pair in turn, the
    first with the first. Then a step left over on each side that is plausibly the same one
    (_same_step) pairs, in plan order: a renamed step. Position alone pairs nothing: another
    step at the same place (a deployment replaced by a rollback, or aimed elsewhere) reads truer
    as one removed and one added than as one step whose name, type and parameters all changed.
    """
    pairs: list[tuple[_Step, _Step]] = []
    removed, added = list(before), list(after)
    for same in (_same_name, _same_step):
        for old in list(removed):
            new = next((s for s in added if same(old, s)), None)
            if new is not None:
                pairs.append((old, new))
                removed.remove(old)
                added.remove(new)
    return pairs, removed, added


def _moved(pairs: list[tuple[_Step, _Step]]) -> set[int]:
    """The old positions of the steps that moved against the others: those outside the longest
    run of pairs that kept their relative order. A step added or removed ahead of others shifts
    their positions without moving them, so only a real reordering is told."""
    pairs = sorted(pairs, key=lambda pair: pair[0].position)
    after = [new.position for _, new in pairs]
    longest = [1] * len(after)  # longest increasing run ending at i (plans are a few steps)
    previous = [-1] * len(after)
    for i in range(len(after)):
        for j in range(i):
            if after[j] < after[i] and longest[j] + 1 > longest[i]:
                longest[i], previous[i] = longest[j] + 1, j
    kept: set[int] = set()
    i = max(range(len(after)), key=longest.__getitem__, default=-1)
    while i != -1:
        kept.add(i)
        i = previous[i]
    return {pair[0].position for i, pair in enumerate(pairs) if i not in kept}


def _key_changes(before: dict[str, Any], after: dict[str, Any]) -> ValueChange | None:
    """Only the keys that differ, on each side where they are: a key only `after` has was
    added, one only `before` has was removed. The first MAX_KEYS, the rest counted."""
    keys = [k for k in {**before, **after} if before.get(k, ...) != after.get(k, ...)]
    if not keys:
        return None
    listed = keys[:MAX_KEYS]

    def side(values: dict[str, Any]) -> dict[str, Any]:
        return {
            _shortened(str(k), MAX_KEY_CHARS): _bounded(values[k]) for k in listed if k in values
        }

    return ValueChange(before=side(before), after=side(after), more_keys=len(keys) - len(listed))


def _step_changes(
    old: _Step, new: _Step, moved: bool, paired: dict[int, _Step], names: tuple[dict, dict]
) -> dict[str, ValueChange]:
    """`paired`: the new step of each old position that has one; `names`: each plan's step
    names by position (depends_on is told by the names of the steps depended on)."""
    changes: dict[str, ValueChange] = {}

    def compare(field: str, before: Any, after: Any) -> None:
        if before != after:
            changes[field] = ValueChange(before=_bounded(before), after=_bounded(after))

    compare("name", old.name, new.name)
    compare("work_type", old.work_type, new.work_type)
    compare("agent_type", old.plain["agent_type"], new.plain["agent_type"])
    if parameters := _key_changes(old.parameters, new.parameters):
        changes["parameters"] = parameters
    compare("estimated_duration", old.estimated_duration, new.estimated_duration)
    if resources := _key_changes(old.resources, new.resources):
        changes["resource_requirements"] = resources
    # A dependency on a step that was only renamed or shifted is the same dependency.
    kept = [paired[p].position if p in paired else -p for p in old.depends_on]
    if sorted(kept) != sorted(new.depends_on):
        changes["depends_on"] = ValueChange(
            before=_bounded([_dependency_name(p, names[0]) for p in old.depends_on]),
            after=_bounded([_dependency_name(p, names[1]) for p in new.depends_on]),
        )
    for field in PLAIN_FIELDS[1:]:
        compare(field, old.plain[field], new.plain[field])
    if moved:
        changes["position"] = ValueChange(before=old.position, after=new.position)
    return changes


def _dependency_name(position: int, names: dict[int, str]) -> str:
    return _shortened(names[position], MAX_KEY_CHARS) if position in names else "an unknown step"


def _summary(step: _Step) -> StepSummary:
    return StepSummary(
        name=_shortened(step.name, MAX_NAME_CHARS),
        work_type=_shortened(step.work_type, MAX_NAME_CHARS) if step.work_type else None,
        estimated_duration=step.estimated_duration,
    )


def _within_budget(items: list, budget: int) -> tuple[list, int]:
    """The items that fit `budget` bytes (at least the first), and what they took."""
    kept, used = [], 0
    for item in items[:MAX_LISTED]:
        size = len(item.model_dump_json().encode())
        if kept and used + size > budget:
            break
        kept.append(item)
        used += size
    return kept, used


def _text_change(before: str, after: str) -> TextChange | None:
    return TextChange(before=before, after=after) if before != after else None


def _total_duration(plan: PlanRecord) -> str:
    return duration_in_words(total_resources(tasks_of(plan))["estimated_duration_seconds"])


def plan_diff(previous: PlanRecord, current: PlanRecord) -> PlanDiff:
    """`current` against `previous`, the plan it replaces. Added steps in the new plan's order,
    removed ones in the old plan's, changed ones in the new plan's."""
    before, after = _steps(previous), _steps(current)
    pairs, removed, added = _pair_steps(before, after)
    moved = _moved(pairs)
    paired = {old.position: new for old, new in pairs}
    names = ({s.position: s.name for s in before}, {s.position: s.name for s in after})
    changed = [
        StepChange(name=_shortened(new.name, MAX_NAME_CHARS), changes=changes)
        for old, new in sorted(pairs, key=lambda pair: pair[1].position)
        if (changes := _step_changes(old, new, old.position in moved, paired, names))
    ]
    budget = LIST_BUDGET_BYTES
    listed = {}
    for key, items in (
        ("added", [_summary(step) for step in added]),
        ("removed", [_summary(step) for step in removed]),
        ("changed", changed),
    ):
        listed[key], used = _within_budget(items, budget)
        listed[f"more_{key}"] = len(items) - len(listed[key])
        budget -= used
    return PlanDiff(
        previous_plan_id=previous.plan_id,
        previous_revision=previous.revision,
        **listed,
        duration=_text_change(_total_duration(previous), _total_duration(current)),
        risk=_text_change(
            risk_level(previous.plan.get("complexity_level")),
            risk_level(current.plan.get("complexity_level")),
        ),
    )


# In words, for the assistant's reply ---------------------------------------------------------


def _steps_count(count: int) -> str:
    return f"{count} step{'s' if count != 1 else ''}"


def _listed(pieces: Iterable[str], more: int = 0, separator: str = ", ") -> str:
    """The first few pieces, then how many more (`more`: those the diff itself left out)."""
    pieces = list(pieces)
    shown = separator.join(pieces[:MAX_STEPS_IN_WORDS])
    rest = len(pieces[MAX_STEPS_IN_WORDS:]) + more
    return f"{shown}{separator}and {rest} more" if rest > 0 else shown


def _value_in_words(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        text = ", ".join(str(item) for item in value)
    else:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
    return _shortened(text, MAX_WORDS_VALUE_CHARS)


def _before_after(before: Any, after: Any) -> str:
    return f"{_value_in_words(before)} -> {_value_in_words(after)}"


def _keys_in_words(change: ValueChange) -> str:
    """E.g. "env: staging -> production, replicas: none -> 3" (a key one side lacks is none)."""
    before, after = change.before or {}, change.after or {}
    keys = list({**before, **after})
    pieces = [f"{k}: {_before_after(before.get(k), after.get(k))}" for k in keys]
    rest = len(pieces[MAX_KEYS_IN_WORDS:]) + change.more_keys
    shown = ", ".join(pieces[:MAX_KEYS_IN_WORDS])
    return f"{shown}, and {rest} more" if rest > 0 else shown


def _change_in_words(field: str, change: ValueChange) -> str:
    if field == "name":
        return f'renamed from "{change.before}"'
    if field in ("parameters", "resource_requirements"):
        return _keys_in_words(change)
    if field == "estimated_duration":
        return f"duration {change.before} -> {change.after}"
    if field == "position":
        return f"moved from step {change.before} to step {change.after}"
    return f"{field.replace('_', ' ')} {_before_after(change.before, change.after)}"


def diff_in_words(revision: int, diff: PlanDiff) -> str:
    """E.g. "Revision 2: added 1 step (Scale service); duration ~20 minutes -> ~22 minutes." """
    parts = []
    if diff.added:
        names = _listed((step.name for step in diff.added), diff.more_added)
        parts.append(f"added {_steps_count(len(diff.added) + diff.more_added)} ({names})")
    if diff.removed:
        names = _listed((step.name for step in diff.removed), diff.more_removed)
        parts.append(f"removed {_steps_count(len(diff.removed) + diff.more_removed)} ({names})")
    if diff.changed:
        steps = _listed(
            (
                f"{step.name}: "
                + ", ".join(_change_in_words(f, c) for f, c in step.changes.items())
                for step in diff.changed
            ),
            diff.more_changed,
            separator="; ",
        )
        parts.append(f"changed {_steps_count(len(diff.changed) + diff.more_changed)} ({steps})")
    if diff.duration:
        parts.append(f"duration {diff.duration.before} -> {diff.duration.after}")
    if diff.risk:
        parts.append(f"risk {diff.risk.before} -> {diff.risk.after}")
    if not parts:
        return (
            f"Revision {revision}: the same steps, duration and risk as revision "
            f"{diff.previous_revision}."
        )
    return f"Revision {revision}: {'; '.join(parts)}."
