"""Releases: frozen, versioned, signed selections of episodes in one target format, with a manifest of checksums, a
data card and Croissant metadata, written under the lake's ``releases/NAME/`` (docs/releases.md)."""
