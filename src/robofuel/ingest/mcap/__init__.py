"""The MCAP reader: the file read record by record, channels turned into streams."""
