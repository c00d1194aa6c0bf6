"""HDF5 readers: ALOHA episodes, robomimic demos, and any other layout as tables."""
