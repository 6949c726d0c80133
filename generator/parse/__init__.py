"""Parse stage: bytes + path → frozen `Unit` / `Post` or located problems (`post`), Markdown → sanitised HTML (`markup`), Markdown budgets (`budgets`) and the privacy scan (`privacy`)."""
