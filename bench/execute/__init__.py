"""Executing: starting, pinning, supervising and killing the processes that measure (runner, launcher
client, isolation, interrupts, A/B sides, interpreters) and building the matrix they run."""
