"""The compliance toolkit: analyses of compiled policies (docs/compliance.md)."""
