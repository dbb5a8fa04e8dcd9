"""The compliance toolkit: tools that read compiled policies to help testers (issue 9)."""
