"""Delimited text tables (CSV and kin): the reader, the dialect and rows, time columns, layouts that are no signal."""
