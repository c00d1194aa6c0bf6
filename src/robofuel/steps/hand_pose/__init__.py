"""The ``hand_pose`` step: hand keypoints from egocentric video (:mod:`.step`)."""

from robofuel.steps.hand_pose.step import HandPose

__all__ = ["HandPose"]
