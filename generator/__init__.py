"""liangshai (晾晒): a static-site generator for Party organisations' 公开晾晒 pages.

The folders read as the pipeline (ARCHITECTURE.md at the top of the repository
has the whole map and the rules between the stages):

- `core` — what every stage shares: diagnostics, the frozen model, URL rules, digests, exit codes;
- `load` — site.toml, what is under content/, attachments' text and bytes, git dates, units;
- `parse` — bytes + path → frozen `Post` / `Unit` or located problems; Markdown → sanitised HTML;
- `plan` — the model → every output with its template context; the comparison numbers and pages;
- `render` — Jinja, page families rendered and fingerprinted, assets and published files;
- `write` — staged atomic output, the saved build state, CSV and xlsx;
- `search` — the Pagefind index behind one object, `SearchIndex`;
- `build` — the `Builder`: a short orchestrator of named phases over frozen records;
- `serve`, `commands`, `importer` — the commands over the build (preview; publish, stats, new; import);
- `cli` — argument parsing, printing, exit codes.
"""

__version__ = "0.1.0"
