"""Plan stage: the site model → every output with its context (`pages`), the comparison numbers (`metrics`) and pages (`compare`), feeds and sitemap (`feeds`)."""
