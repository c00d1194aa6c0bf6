"""Reports: the quality-control summary of a base and its self-contained HTML report."""
