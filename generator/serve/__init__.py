"""``liangshai serve``: watch, debounce, rebuild, live reload, error overlay (`server`)."""
