"""Synthetic demonstrations (``robofuel synth``, docs/synth.md): new episodes edited from real annotated ones, the
object-centric segments moved with new object poses, the free-space ones re-planned, joints re-solved with the
embodiment's IK and limits, checked in simulation (:mod:`robofuel.sim`), written to the lake marked synthetic."""

from robofuel.synth.candidate import Settings
from robofuel.synth.run import SynthReport, synthesize
from robofuel.synth.variation import VARIATIONS, Ranges

__all__ = ["VARIATIONS", "Ranges", "Settings", "SynthReport", "synthesize"]
