"""Wearable recordings: the ``wearable`` folder layout and Project Aria VRS files."""
