"""Language for annotations: an episode instruction and one sub-instruction per segment.

The default, :class:`TemplateDescriber`, fills templates from the task taxonomy and needs nothing else. A
vision-language model plugs in as another :class:`Describer`: it gets the episode's metadata, the segments found
from the signals and the template texts, and may return better texts (and its own confidence). Describers are
found by name: ``template`` built in, others through the ``robofuel.describers`` entry-point group (a class taking
no arguments), or handed to :class:`~robofuel.steps.annotate.Annotate` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from robofuel import plugins
from robofuel.standard import Episode
from robofuel.steps.annotate.skills import TaskTerms

SUB_TEMPLATES: dict[str, str] = {
    "idle": "Hold still.",
    "reach": "Reach for the {object}{from_source}.",
    "grasp": "Grasp the {object}.",
    "lift": "Lift the {object}.",
    "transport": "Carry the {object} to the {place}.",
    "place": "Place the {object} on the {place}.",
    "insert": "Insert the {object} into the {place}.",
    "release": "Release the {object}.",
    "retreat": "Move the hand away from the {place}.",
    "return": "Return the hand to its rest pose.",
    "move": "Move the hand.",
}


@dataclass(frozen=True)
class SegmentDraft:
    """A segment as the signals found it: start and end (s from episode start), skill, objects, confidence 0..1,
    and the template sub-instruction."""

    start_s: float
    end_s: float
    skill: str
    objects: list[str]
    confidence: float
    template: str


@dataclass(frozen=True)
class DescribeRequest:
    """What a describer is asked about: the episode (metadata only; a VLM loads the frames it wants through the
    lake), its task terms, the template episode instruction and the segment drafts."""

    episode: Episode
    terms: TaskTerms
    instruction: str
    segments: list[SegmentDraft]


@dataclass(frozen=True)
class Description:
    """A describer's answer: the episode instruction, one sub-instruction per segment (same order and length as
    the request's), and optionally a confidence (0..1) per segment that replaces the signal-based one."""

    instruction: str
    sub_instructions: list[str]
    confidences: list[float] | None = None
    notes: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Describer(Protocol):
    """Writes the language of an annotation. ``name`` is recorded as the annotator of what it wrote."""

    name: str

    def describe(self, request: DescribeRequest) -> Description:
        """Texts for the request's episode and segments (raise or return the templates when unsure)."""
        ...


def sub_instruction(skill: str, terms: TaskTerms) -> str:
    """The template sub-instruction of a ``skill`` segment, naming the task's object and place."""
    template = SUB_TEMPLATES.get(skill, "{skill} the {object}.")
    text = template.format(
        object=terms.obj,
        place=terms.place or "target",
        from_source=f" in the {terms.source}" if terms.source else "",
        skill=skill.capitalize(),
    )
    return text


def episode_instruction(terms: TaskTerms) -> str:
    """The taxonomy's instruction template filled with the task's object and place."""
    return terms.template.format(object=terms.obj, place=terms.place or "target")


class TemplateDescriber:
    """The default describer: taxonomy templates, no model. The episode's own instruction is kept."""

    name = "template"

    def describe(self, request: DescribeRequest) -> Description:
        return Description(request.instruction, [s.template for s in request.segments])


BUILTIN: dict[str, str] = {"template": "robofuel.steps.annotate.language:TemplateDescriber"}
GROUP = "robofuel.describers"


def get_describer(name: str) -> Describer:
    """The describer registered as ``name`` (``template`` built in; others by entry point)."""
    describer: Describer = plugins.load(BUILTIN, GROUP, name, "describer")()
    return describer


def checked(desc: Description, request: DescribeRequest) -> Description:
    """``desc`` if it answers every segment with non-empty texts and confidences in 0..1; ValueError otherwise."""
    n = len(request.segments)
    if len(desc.sub_instructions) != n or (desc.confidences is not None and len(desc.confidences) != n):
        raise ValueError(f"describer answered {len(desc.sub_instructions)} sub-instructions for {n} segments")
    if not desc.instruction.strip() or any(not s.strip() for s in desc.sub_instructions):
        raise ValueError("describer returned an empty instruction")
    if desc.confidences is not None and any(not 0.0 <= c <= 1.0 for c in desc.confidences):
        raise ValueError("describer confidences must lie in 0..1")
    return desc
