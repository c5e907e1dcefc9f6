"""How a request runs: deadlines, the in-flight registry, single-flight dedup,
progress and CPU work in killable worker processes."""
