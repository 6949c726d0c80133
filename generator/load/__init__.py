"""Load stage: what a build reads before anything is parsed.

- `config`: ``site.toml`` → frozen `SiteConfig` (every problem collected, each at its line);
- `sources`: what is under content/, stat'ed, with each attachment's `DocumentText`;
- `attachments`: the one entry point for attachments' text and publishable bytes, over
  `filetypes` (extensions), `doc_budget` (the ``[limits]`` budgets), `office_text`
  (Word, Excel), `pdf_text`, `images` (formats, sizes, metadata blocks) and
  `publishable` (what may be published, or `Unpublishable`);
- `history`: git dates of content files (through `git.git`, the git runner the stage shares; `gate` uses it too);
- `gate`: the shared-repository gate (which posts a selective ``check`` reads, who may change what).
"""
