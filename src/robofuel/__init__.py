"""robofuel: a data factory for embodied AI."""

__version__ = "0.1.0"
