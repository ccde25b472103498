"""Measuring: the one core that times cycles of arms in interleaved rounds (see ``core``)."""
