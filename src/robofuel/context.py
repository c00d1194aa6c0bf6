"""Opening the lake and its catalog from command-line options or environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from fsspec.implementations.local import LocalFileSystem

from robofuel.catalog import Catalog
from robofuel.catalog.leases import lake_lease
from robofuel.lake import Lake, default_lake_uri
from robofuel.lake.store import lake_filesystem
from robofuel.outputs import output_folder


@dataclass
class Workspace:
    """A lake and the catalog that indexes it."""

    lake: Lake
    catalog: Catalog


def given_catalog_url(option: str | None) -> str | None:
    """The catalog a command was given: ``--catalog``, else ``$ROBOFUEL_CATALOG``, else None (the lake's own)."""
    return option or os.environ.get("ROBOFUEL_CATALOG")


@contextmanager
def open_workspace(
    lake_uri: str | None, catalog_url: str | None = None, create: bool = True, lease: str | None = None
) -> Iterator[Workspace]:
    """Open (creating if allowed) the lake at ``lake_uri`` and its catalog; ``$ROBOFUEL_CATALOG`` overrides.
    ``lease``: the command's name, when it reads or writes episode files: it then holds the lake's shared lease
    (:mod:`robofuel.catalog.leases`) and refuses to run beside a ``robofuel pack``."""
    uri = lake_uri or default_lake_uri()
    fs, root = lake_filesystem(uri)
    if isinstance(fs, LocalFileSystem):
        output_folder(Path(root), "--lake", "the lake's folder (ingest makes one where none exists)")
    lake = Lake(uri, create=create)
    catalog = Catalog(given_catalog_url(catalog_url) or lake.default_catalog_url)
    try:
        with lake_lease(catalog, lake.uri, lease) if lease else nullcontext():
            yield Workspace(lake, catalog)
    finally:
        catalog.close()
