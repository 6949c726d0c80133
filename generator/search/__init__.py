"""Search stage: the search page and the Pagefind index (`index`)."""
