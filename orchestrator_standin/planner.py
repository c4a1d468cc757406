"""Deterministic text analysis: how the stand-in "parses" a request and derives its plan.

Everything here is a pure function of the request text, so the same text always gives the
same outcome and the same tasks (only the ids handed out by the store differ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PARSE_FAIL_MARKER = "[parse-fail]"
PLAN_FAIL_MARKER = "[plan-fail]"
MAX_TASKS = 6
VAGUE_WORDS = ("something", "stuff", "whatever")

_MODIFY_RE = re.compile(r"\[modify plan\s*([^\]]*)\]", re.IGNORECASE)
_MARKER_RE = re.compile(r"\[(?:parse-fail|plan-fail|modify plan[^\]]*)\]", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z0-9][a-z0-9'_-]*")
_NEGATED_RE = re.compile(
    r"\b(?:no|not|without|skip|skipping|remove|drop|exclude)\s+(?:the\s+|any\s+)?$"
)
# fmt: off
_STOP_WORDS = frozenset((
    "a", "an", "and", "also", "add", "after", "all", "any", "before", "but", "by", "can", "do",
    "for", "from", "in", "into", "it", "its", "let", "make", "me", "my", "new", "now", "of",
    "on", "our", "please", "run", "set", "so", "sure", "that", "the", "their", "then", "this",
    "to", "up", "us", "we", "with", "you", "your", "not", "without", "skip", "remove", "drop",
    "exclude", "instead", "just", "only", "want", "need", "should", "will", "original",
    "request", "plan", "modify", "change",
))
# fmt: on


@dataclass(frozen=True)
class Step:
    """One kind of task the planner can produce, and the words that ask for it."""

    pattern: str
    name: str
    work_type: str
    agent_type: str
    seconds: int
    cpu_cores: int
    gpu_vram_mb: int = 0
    ai_calls: int = 0
    alternatives: tuple[str, ...] = ()


# Canonical pipeline order: tasks always come out in this order, whatever the word order.
# fmt: off
STEPS: tuple[Step, ...] = (
    Step(r"\bback[\s-]?ups?\b", "Back up data", "backup", "infra", 120, 1),
    Step(r"\bmigrat\w*", "Run database migration", "database_migration", "infra", 300, 2),
    Step(r"\bbuild\w*", "Build artifacts", "build", "code", 240, 4, ai_calls=1),
    Step(r"\btest\w*", "Run test suite", "test", "code", 180, 2, ai_calls=1,
         alternatives=("Run smoke tests only",)),
    Step(r"\bfail\w*", "Run failing step", "failing_step", "infra", 60, 1),
    Step(r"\bundispatchable\b", "Run undispatchable step", "undispatchable_step", "desktop",
         60, 1),
    Step(r"\bdeploy\w*", "Deploy service", "deployment", "infra", 300, 2,
         alternatives=("Blue-green deployment",)),
    Step(r"\bscal(?:e|es|ed|ing)\b", "Scale service", "scaling", "infra", 120, 1),
    Step(r"\bmonitor\w*", "Set up monitoring", "monitoring", "infra", 90, 1),
    Step(r"\broll[\s-]?back\w*", "Roll back release", "rollback", "infra", 180, 1),
    Step(r"\b(?:research\w*|investigat\w*|analy[sz]\w*)", "Research the topic", "research",
         "research", 600, 2, gpu_vram_mb=2048, ai_calls=2),
    Step(r"\b(?:desktop|screenshot\w*|click\w*)", "Desktop automation", "desktop_automation",
         "desktop", 120, 1),
)
# fmt: on
GENERIC_STEP = Step("", "Handle the request", "general", "research", 300, 1, ai_calls=1)


def strip_markers(text: str) -> str:
    """The text without the stand-in's markers and the "[Modify plan <id>]" prefix."""
    return _MARKER_RE.sub(" ", text)


def words(text: str) -> list[str]:
    return _WORD_RE.findall(strip_markers(text).lower())


def modified_plan_id(text: str) -> str | None:
    match = _MODIFY_RE.search(text)
    return match.group(1).strip() if match else None


def clarification_questions(text: str) -> list[str]:
    """Questions for an ambiguous text; an empty list means the text is clear enough."""
    found = words(text)
    questions = []
    if len(found) < 3:
        questions.append("Could you describe in a full sentence what should be done, and to what?")
    for vague in VAGUE_WORDS:
        if vague in found:
            questions.append(f'What exactly do you mean by "{vague}"?')
    return questions


def matched_steps(text: str) -> list[Step]:
    """Steps asked for by the text; "without tests" (no/skip/remove/drop ...) excludes one."""
    plain = " ".join(strip_markers(text).lower().split())
    chosen = []
    for step in STEPS:
        wanted = unwanted = False
        for match in re.finditer(step.pattern, plain):
            if _NEGATED_RE.search(plain[: match.start()]):
                unwanted = True
            else:
                wanted = True
        if wanted and not unwanted:
            chosen.append(step)
    return chosen[:MAX_TASKS] or [GENERIC_STEP]


def targets(text: str) -> list[str]:
    """Words that are neither filler nor step keywords: what the request is about."""
    plain = strip_markers(text).lower()
    for step in STEPS:
        plain = re.sub(step.pattern, " ", plain)
    found: list[str] = []
    for word in _WORD_RE.findall(plain):
        if len(word) >= 3 and word not in _STOP_WORDS and word not in found:
            found.append(word)
    return found[:5]


def parse_outcome(text: str) -> dict[str, Any]:
    """The body of POST /api/v1/request, without request_id."""
    if PARSE_FAIL_MARKER in text.lower():
        error = "Could not parse the request (stand-in [parse-fail] marker)"
        return {"status": "parsing_failed", "error": error}
    questions = clarification_questions(text)
    if questions:
        return {"status": "requires_clarification", "ambiguities": questions, "out_of_scope": []}
    steps = matched_steps(text)
    decomposed = {
        "intent": steps[0].work_type,
        "actions": [step.work_type for step in steps],
        "targets": targets(text),
        "modifies_plan": modified_plan_id(text),
        "raw": text,
    }
    return {"status": "parsing_complete", "decomposed_request": decomposed}


def planning_error(text: str) -> str | None:
    if PLAN_FAIL_MARKER in text.lower():
        return "Planner could not build a plan for this request (stand-in marker)"
    return None


def _work_task(order: int, step: Step, about: list[str]) -> dict[str, Any]:
    return {
        "order": order,
        "name": step.name,
        "work_type": step.work_type,
        "agent_type": step.agent_type,
        "parameters": {"targets": list(about)},
        "resource_requirements": {
            "estimated_duration_seconds": step.seconds,
            "gpu_vram_mb": step.gpu_vram_mb,
            "cpu_cores": step.cpu_cores,
        },
        "depends_on": [order - 1] if order > 1 else [],
        "alternatives": list(step.alternatives),
        "estimated_external_ai_calls": step.ai_calls,
    }


def complexity_level(task_count: int) -> str:
    if task_count <= 2:
        return "simple"
    return "medium" if task_count <= 4 else "complex"


def derive_plan(text: str) -> dict[str, Any]:
    """The plan fields of GET /api/v1/plan/{request_id}, without plan_id/request_id/status."""
    about = targets(text)
    tasks = [_work_task(i, step, about) for i, step in enumerate(matched_steps(text), start=1)]
    minutes = sum(t["resource_requirements"]["estimated_duration_seconds"] for t in tasks) / 60
    steps_text = "; ".join(f"{t['order']}. {t['name']}" for t in tasks)
    summary = f"{len(tasks)}-step plan: {steps_text}. Estimated time about {minutes:.0f} min."
    modified = modified_plan_id(text)
    if modified is not None:
        summary = f"Revised plan (changes plan {modified}). {summary}"
    return {
        "human_readable_summary": summary,
        "complexity_level": complexity_level(len(tasks)),
        "will_use_external_ai": any(t["estimated_external_ai_calls"] > 0 for t in tasks),
        "tasks": tasks,
    }
