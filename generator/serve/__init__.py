"""``liangshai serve``: watch, debounce, rebuild, live reload, error overlay (entry stage).

Modules, from the entry down:

- `server`: `run_serve` makes the `Builder` (`preview_builder`) and hands it to
  the `PreviewServer`, which runs the rebuild loop on its build thread;
- `watch`: the watchdog observer, its watches, and lost-event detection;
- `httpd`: the HTTP request handler — output files, status, events, and the
  reload script ``reload.js`` (a file of this package, shipped as package data);
- `status`: the values and monitors the threads share (`Changes`, `Hub`, `Status`).
"""
