"""What a revision changed against the plan it replaces: steps added, removed and changed (name,
work type, parameters, estimated duration, place), and the total duration and risk before and
after. A comparison of the two plans the orchestrator returned, as a person reads them in the
plan view; it decides nothing about a plan. Pure functions of the two stored plans."""

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

MAX_STEPS_IN_WORDS = 5  # per list in the reply; the plan view's diff has them all


@dataclass(frozen=True)
class _Step:
    position: int  # 1-based, as the plan view numbers the steps
    name: str
    work_type: str | None
    parameters: dict[str, Any]
    # In words, as the view shows it: a few seconds more that read the same are no change.
    estimated_duration: str


def _steps(plan: PlanRecord) -> list[_Step]:
    # The orchestrator may leave out anything but a task's order and name (see
    # orchestrator-api.md): the same defaults as the plan view, so the diff matches what it shows.
    return [
        _Step(
            position=position,
            name=step_name(task, position),
            work_type=task.get("work_type") or None,
            parameters=task.get("parameters") or {},
            estimated_duration=step_duration(task),
        )
        for position, task in enumerate(tasks_of(plan), start=1)
    ]


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _pair_steps(
    before: list[_Step], after: list[_Step]
) -> tuple[list[tuple[_Step, _Step]], list[_Step], list[_Step]]:
    """Which step of the new plan is which of the old: (pairs, removed, added).

    By name first: the name is what the person reads, and a planner keeps it for the same kind
    of step, while `order` is renumbered whenever a step is added or removed ahead of another
    (matching by order would call every later step changed). Repeated names pair in turn, the
    first with the first. Then a step left over on each side with the same work type pairs, in
    plan order: a renamed step. Position alone pairs nothing: another step at the same place (a
    deployment replaced by a rollback) reads truer as one removed and one added than as one step
    whose name, type and parameters all changed.
    """
    pairs: list[tuple[_Step, _Step]] = []
    removed, added = list(before), list(after)
    for key in (lambda step: _name_key(step.name), lambda step: step.work_type):
        for old in list(removed):
            new = next((s for s in added if key(old) is not None and key(s) == key(old)), None)
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


def _parameter_changes(before: dict[str, Any], after: dict[str, Any]) -> ValueChange | None:
    """Only the keys that differ, on each side where they are: a key only `after` has was
    added, one only `before` has was removed."""
    keys = [k for k in {**before, **after} if before.get(k, ...) != after.get(k, ...)]
    if not keys:
        return None
    return ValueChange(
        before={k: before[k] for k in keys if k in before},
        after={k: after[k] for k in keys if k in after},
    )


def _step_changes(old: _Step, new: _Step, moved: bool) -> dict[str, ValueChange]:
    changes: dict[str, ValueChange] = {}
    for field in ("name", "work_type", "parameters", "estimated_duration"):
        before, after = getattr(old, field), getattr(new, field)
        if field == "parameters":
            if parameters := _parameter_changes(before, after):
                changes[field] = parameters
        elif before != after:
            changes[field] = ValueChange(before=before, after=after)
    if moved:
        changes["position"] = ValueChange(before=old.position, after=new.position)
    return changes


def _summary(step: _Step) -> StepSummary:
    return StepSummary(
        name=step.name, work_type=step.work_type, estimated_duration=step.estimated_duration
    )


def _text_change(before: str, after: str) -> TextChange | None:
    return TextChange(before=before, after=after) if before != after else None


def _total_duration(plan: PlanRecord) -> str:
    return duration_in_words(total_resources(tasks_of(plan))["estimated_duration_seconds"])


def plan_diff(previous: PlanRecord, current: PlanRecord) -> PlanDiff:
    """`current` against `previous`, the plan it replaces. Added steps in the new plan's order,
    removed ones in the old plan's, changed ones in the new plan's."""
    pairs, removed, added = _pair_steps(_steps(previous), _steps(current))
    moved = _moved(pairs)
    changed = [
        StepChange(name=new.name, changes=changes)
        for old, new in sorted(pairs, key=lambda pair: pair[1].position)
        if (changes := _step_changes(old, new, old.position in moved))
    ]
    return PlanDiff(
        previous_plan_id=previous.plan_id,
        previous_revision=previous.revision,
        added=[_summary(step) for step in added],
        removed=[_summary(step) for step in removed],
        changed=changed,
        duration=_text_change(_total_duration(previous), _total_duration(current)),
        risk=_text_change(
            risk_level(previous.plan.get("complexity_level")),
            risk_level(current.plan.get("complexity_level")),
        ),
    )


# In words, for the assistant's reply ---------------------------------------------------------


def _steps_count(items: list) -> str:
    return f"{len(items)} step{'s' if len(items) != 1 else ''}"


def _listed(pieces: Iterable[str], separator: str = ", ") -> str:
    pieces = list(pieces)
    shown = separator.join(pieces[:MAX_STEPS_IN_WORDS])
    rest = len(pieces) - MAX_STEPS_IN_WORDS
    return f"{shown}{separator}and {rest} more" if rest > 0 else shown


def _change_in_words(field: str, change: ValueChange) -> str:
    if field == "name":
        return f'renamed from "{change.before}"'
    if field == "work_type":
        return f"work type {change.before or 'none'} -> {change.after or 'none'}"
    if field == "parameters":
        keys = {**(change.before or {}), **(change.after or {})}
        return f"parameter{'s' if len(keys) != 1 else ''} " + ", ".join(f'"{k}"' for k in keys)
    if field == "estimated_duration":
        return f"duration {change.before} -> {change.after}"
    return f"moved from step {change.before} to step {change.after}"  # position


def diff_in_words(revision: int, diff: PlanDiff) -> str:
    """E.g. "Revision 2: added 1 step (Scale service); duration ~20 minutes -> ~22 minutes." """
    parts = []
    if diff.added:
        names = _listed(step.name for step in diff.added)
        parts.append(f"added {_steps_count(diff.added)} ({names})")
    if diff.removed:
        names = _listed(step.name for step in diff.removed)
        parts.append(f"removed {_steps_count(diff.removed)} ({names})")
    if diff.changed:
        steps = _listed(
            (
                f"{step.name}: "
                + ", ".join(_change_in_words(f, c) for f, c in step.changes.items())
                for step in diff.changed
            ),
            separator="; ",
        )
        parts.append(f"changed {_steps_count(diff.changed)} ({steps})")
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
