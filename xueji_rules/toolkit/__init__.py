"""The compliance toolkit: analyses of compiled policies (lint, boundary cases, …)."""
