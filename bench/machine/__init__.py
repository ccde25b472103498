"""The machine: its calibrated ceilings (how much of k cores it really gives) and its speed over a run."""
