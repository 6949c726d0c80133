"""``liangshai import``: Word documents → posts (`convert` → `infer` → `run`)."""
