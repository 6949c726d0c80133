"""Build: `builder.Builder` runs the pipeline as named phases (inputs → load → parse → model → plan →
render → stage → commit → index → save → seal) over the frozen records of `records` and `phases`;
`loading`/`parsing` hold the parse phase, `planning` the plan helpers, `pool` the worker processes
(forkserver), `background` the search thread. ``liangshai build`` enters through `quick` (the no-op
answered from file stamps, over the light `result` records) and `inputs` (the full no-op check)."""
