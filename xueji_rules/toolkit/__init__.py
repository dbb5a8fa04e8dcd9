"""The compliance toolkit: mutation testing, lint, counter-example students and reports (issue 9)."""
