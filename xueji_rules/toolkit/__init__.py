"""The compliance toolkit: analyses of compiled policies for testers (mutate, lint, boundary cases, counter-examples, the coverage report)."""
