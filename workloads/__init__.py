"""Built-in workloads: one module per workload, each exposing ``WORKLOAD``.

Every ``WORKLOAD`` follows :class:`bench.model.Workload`: documented
parameters with quick/full defaults, a deterministic ``make_tasks`` and a
module-level (so picklable by reference) ``task`` function.

- ``sleep``: tasks that only wait (io-latency); has an analytic ideal time.
- ``fib``: naive recursive Fibonacci (cpu, GIL-bound in threads).
- ``square``: thousands of tiny tasks; measures per-task overhead.
- ``addweighted``: numpy image blending like OpenCV's ``addWeighted`` (memory).
- ``ocr``: pytesseract over generated pages (external-process).
"""
