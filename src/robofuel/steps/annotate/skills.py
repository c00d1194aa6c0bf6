"""Skill primitives, the task taxonomy, and the objects and places a task names.

The taxonomy maps the first part of a task id (``pick_place.cube`` -> ``pick_place``, robosuite's ``Lift`` ->
``lift``) to an instruction template and default object and place names; the instruction, where the episode has
one, names them better and wins (``Pick up the red cube and place it on the green pad`` -> object ``red cube``,
place ``green pad``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from robofuel.standard import Task

#: Skill primitives the annotate step uses, with what each means.
SKILLS: dict[str, str] = {
    "idle": "no task motion: before the start, after the end, or a pause",
    "reach": "the open hand or gripper moves to the object",
    "grasp": "the hand or gripper closes on the object and settles",
    "lift": "the held object is raised off its support",
    "transport": "the held object is carried toward the place",
    "place": "the held object is lowered onto the place",
    "insert": "the held object is pushed into the place (a place with a fit)",
    "release": "the hand or gripper opens and lets go",
    "retreat": "the empty hand or gripper moves away from the place",
    "return": "the empty hand or gripper goes back to its rest pose",
    "move": "a movement that the cues cannot name (no closing seen)",
}


@dataclass(frozen=True)
class TaskTerms:
    """What a task names: the taxonomy key, the manipulated object, where it comes from and where it goes."""

    key: str
    obj: str
    source: str | None
    place: str | None
    template: str


#: taxonomy key -> (episode instruction template, default object, default place)
TAXONOMY: dict[str, tuple[str, str, str | None]] = {
    "pick_place": ("Pick up the {object} and place it on the {place}.", "object", "target"),
    "pickplace": ("Pick up the {object} and place it in the {place}.", "object", "bin"),
    "lift": ("Lift the {object}.", "cube", None),
    "stack": ("Stack the {object} on the {place}.", "cube", "other cube"),
    "insert": ("Insert the {object} into the {place}.", "peg", "hole"),
    "nutassembly": ("Put the {object} on the {place}.", "nut", "peg"),
    "peg_in_hole": ("Insert the {object} into the {place}.", "peg", "hole"),
    "handover": ("Hand the {object} over to the other hand.", "object", None),
    "twoarmhandover": ("Hand the {object} over to the other arm.", "hammer", None),
    "wipe": ("Wipe the {place}.", "sponge", "table"),
    "door": ("Open the {place}.", "handle", "door"),
}
GENERIC = ("Manipulate the {object}.", "object", None)

_ARTICLE = r"(?:the|a|an)\s+"
_OBJECT = re.compile(rf"\b(?:pick(?:\s+up)?|grasp|grab|take|lift|insert|put|move)\s+(?:up\s+)?{_ARTICLE}([\w\s-]+?)"
                     rf"(?=\s+(?:from|and|on|onto|in|into|to|off)\b|[.,;]|$)", re.I)  # fmt: skip
_SOURCE = re.compile(rf"\bfrom\s+{_ARTICLE}([\w\s-]+?)(?=\s+(?:and|on|onto|in|into|to)\b|[.,;]|$)", re.I)
_PLACE = re.compile(rf"\b(?:on|onto|in|into|at|to)\s+{_ARTICLE}([\w\s-]+?)(?=\s+(?:and|from)\b|[.,;]|$)", re.I)


def taxonomy_key(task_id: str | None) -> str:
    """Lower-case first part of a task id (``pick_place.cube`` -> ``pick_place``); '' without an id."""
    return (task_id or "").split(".")[0].strip().lower()


def _last_part(task_id: str | None) -> str | None:
    parts = (task_id or "").split(".")
    return parts[-1].replace("_", " ") if len(parts) > 1 and parts[-1] else None


def task_terms(task: Task) -> TaskTerms:
    """Object, source and place of ``task``, from its instruction where it names them, else from the taxonomy."""
    key = taxonomy_key(task.id)
    template, obj, place = TAXONOMY.get(key, GENERIC)
    obj = _last_part(task.id) or obj
    source: str | None = None
    text = task.instruction or ""
    if m := _OBJECT.search(text):
        obj = m.group(1).strip().lower()
    if m := _SOURCE.search(text):
        source = m.group(1).strip().lower()
    places = [p.strip().lower() for p in _PLACE.findall(text) if p.strip().lower() != source]
    if places:
        place = places[-1]
    return TaskTerms(key, obj, source, place, template)


def objects_for(skill: str, terms: TaskTerms) -> list[str]:
    """The objects and places a segment of ``skill`` involves, from the task's terms."""
    if skill == "reach":
        return [terms.obj] + ([terms.source] if terms.source else [])
    if skill in ("grasp", "lift", "release"):
        return [terms.obj]
    if skill in ("transport", "place", "insert"):
        return [terms.obj] + ([terms.place] if terms.place else [])
    if skill == "retreat":
        return [terms.place] if terms.place else []
    return []


def placing_skill(terms: TaskTerms, instruction: str | None) -> str:
    """``insert`` when the task is an insertion (by taxonomy or wording), else ``place``."""
    text = f"{terms.key} {instruction or ''}".lower()
    return "insert" if "insert" in text or "peg_in_hole" in text else "place"
