"""The seeds' experiments, each a plain function and a list of inputs measured with bench.

Run from the repository root: ``.venv/bin/python -m examples.sleep`` (see examples/README.md).
"""
