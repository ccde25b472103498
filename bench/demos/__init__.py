"""Scripts that demonstrate the harness end to end (run them; they are not imported by it)."""
