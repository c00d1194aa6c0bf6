"""The LeRobot dataset reader (v2.1 and v3.0), its metadata, and the dataset check of ``robofuel validate``."""
