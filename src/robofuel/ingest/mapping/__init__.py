"""The ingest mapping (``robofuel ingest --map FILE.toml``): the file, its table section, splitting, applying it."""
