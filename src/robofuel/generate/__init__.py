"""The seeded sample-recording generator: teleoperated Panda MCAPs and wearable captures, with ground truth.

Same seed, same bytes. Every recording's ground truth (phases, injected faults with stream and time) is written to
``<out>/truth/<name>.json``, away from ``<out>/recordings/``.
"""

from robofuel.generate.faults import FAULT_KINDS, FaultSpec
from robofuel.generate.suite import generate_suite
from robofuel.generate.teleop import generate_teleop
from robofuel.generate.truth import GeneratedRecording
from robofuel.generate.wearable_writer import generate_wearable

__all__ = ["FAULT_KINDS", "FaultSpec", "GeneratedRecording", "generate_suite", "generate_teleop", "generate_wearable"]
