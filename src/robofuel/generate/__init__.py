"""The seeded sample-recording generator: teleoperated Panda MCAPs and wearable captures, with ground truth.

Same arguments, same bytes. Recordings go to ``<out>/recordings/`` (``<name>.mcap`` files, ``<name>/`` wearable
folders); each one's ground truth (phases, injected faults with stream and time, session metadata) goes to
``<out>/truth/<name>.json``, so ingesting the recordings folder never meets a sidecar.
"""

from robofuel.generate.faults import FAULT_KINDS, FaultSpec
from robofuel.generate.suite import generate_suite
from robofuel.generate.teleop import generate_teleop
from robofuel.generate.truth import GeneratedRecording
from robofuel.generate.wearable_writer import generate_wearable

__all__ = ["FAULT_KINDS", "FaultSpec", "GeneratedRecording", "generate_suite", "generate_teleop", "generate_wearable"]
