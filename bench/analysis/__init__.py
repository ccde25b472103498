"""Analysis: pure functions from stored results to numbers and verdicts (statistics, the tidy table,
accounting, task-size bounds, fits, compare).  No processes, no files, no printing."""
