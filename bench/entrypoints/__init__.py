"""Process entry points: each module here is the ``main`` of a process that bench starts (``python -m ...``)."""
