"""Static analyzers the workflow stages run: bug patterns, bandit."""
