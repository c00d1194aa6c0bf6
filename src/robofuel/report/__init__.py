"""Reports: quality-control summaries (and, later, the HTML report)."""
