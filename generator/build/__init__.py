"""The orchestrator: `Builder` runs load → parse → plan → render → write → search (`builder`)."""
