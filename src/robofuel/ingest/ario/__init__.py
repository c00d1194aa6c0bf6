"""The ARIO (All Robots In One) folder reader."""
