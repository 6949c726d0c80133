"""Parse stage: bytes + path → frozen `Unit` / `Post` or located problems; Markdown → sanitised HTML.

The modules, in the order a post goes through them:

- `text` — bytes → text (UTF-8 only, line ends unified) and the control characters no text may hold;
- `post` — `parse_post`: split off the front-matter, then the steps below (the names other stages
  import from the parse stage are importable from here);
- `yamlnodes` — front-matter text → a composed YAML mapping that keeps every line;
- `fields` — `FieldReader`: one method per front-matter field (title, date, section, meeting, …);
- `paths` — a post's slug, confined relative paths, the documents a body links to;
- `unit` — `parse_unit`: a ``_unit.toml`` → `Unit`;
- `budgets` — shapes of Markdown too slow to render, refused before rendering;
- `privacy_problems` — `core.privacy`'s findings → located problems (in sources, rendered text, attachments);
- `markup` — Markdown → sanitised HTML, links rewritten, the text readers get.
"""
