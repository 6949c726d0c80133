"""Write stage: staged atomic output (`output`), the persistent build state (`state`), CSV and xlsx writers (`csvout`, `workbook`)."""
