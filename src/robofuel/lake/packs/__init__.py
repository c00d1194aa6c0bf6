"""Packing finished episodes into shards: a million episodes without tens of millions of files (docs/lake.md).

``layout`` names the shard files and tells packed streams apart, ``read`` reads an episode's part of a shard,
``write`` builds a shard, ``run`` is ``robofuel pack``: selection, the catalog commit and finishing a shard.
"""
