"""The PX4 ULog flight-log reader."""
