"""Search stage: the search page and the Pagefind index, used through one object, `index.SearchIndex`.

- `index`: `SearchIndex` (the operations the build and the preview need) and `EarlyIndex` (a small update begun before the commit).
- `page`: the search page, planned with the other pages.
- `shards`: the index's layout on disk — shards by unit and year, their members, which shards an update indexes, installing them.
- `indexer`: `ShardIndexer`, indexing shards with Pagefind services (the piece a test replaces).
- `pagefind`: the Pagefind binary, its service protocol, the warmed-up service, and the canonical form of its filter indexes (CBOR).
- `problems`: how a search failure is reported (`Kind.SEARCH`).
"""
