"""Embodiments: the registry of robots, hands and humans, their kinematics, and retargeting between them.

Pinocchio (``pip install 'robofuel[models]'``) is imported only when kinematics are needed; the registry itself
works without it. See docs/embodiment.md.
"""

from robofuel.embodiment.registry import KINDS, ArmSpec, Embodiment, GripperSpec, ModelUnavailable, Registry

__all__ = ["KINDS", "ArmSpec", "Embodiment", "GripperSpec", "ModelUnavailable", "Registry"]
