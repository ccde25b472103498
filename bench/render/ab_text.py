"""What `bench ab --base REF` prints: which code each side ran, the verdict table, how to reproduce it.

The verdict and the table are `bench compare`'s own renderers (text, markdown,
JSON), so the gate and `bench compare A.json B.json` never disagree; this
module adds what a reviewer of a pull request needs around them: the two
commits, why the gate failed when it compared nothing, and the commands that
re-measure what changed (just the regressed cases, interleaved, on the same two
commits) and re-read the two files.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bench import function_workload
from bench.analysis.compare import CompareReport, Status, recheck_words
from bench.render.compare_text import RENDERERS, render_json
from bench.storage import ResultSet


def _module_words(config: Mapping[str, Any]) -> list[str]:
    """--workload-module / --task options that bring the run's own workloads back."""
    words = []
    for entry in config.get("workload_modules", []):
        if not function_workload.is_entry(entry):
            words.append(f"--workload-module {entry}")
            continue
        spec = json.loads(entry[len(function_workload.ENTRY_PREFIX):])
        words += [f"--task {spec['task']}", f"--inputs {spec['inputs']}"]
        words += [f"--name {spec['name']}"] if spec.get("name") else []
        words += [f"--bound {spec['bound']}"] if spec.get("bound") not in (None, "cpu") else []
    return words + [f"--strategy-module {name}" for name in config.get("strategy_modules", [])]


def reproduce_commands(report: CompareReport, results: Mapping[str, ResultSet], commits: Mapping[str, str],
                       outputs: Sequence[str]) -> list[str]:
    """Re-measure (the regressed cases if any, else the whole matrix) on the same commits; re-read the files."""
    base, new = results["A"], results["B"]
    failing = {entry.new_key for entry in report.by_status(Status.REGRESSION, Status.NEWLY_FAILING)}
    cases = [r.case for r in new.cases if r.case.key in failing] or [r.case for r in new.cases]
    options = report.options
    gate = [f"--metric {options.metric}", f"--threshold {options.threshold * 100:g}"]
    revisions = [f"--base {commits['A']}", *([f"--head {commits['B']}"] if "B" in commits else [])]
    ab = [*recheck_words(base, new, cases, options.metric), *_module_words(new.config), *revisions, *gate,
          "--force"] if cases else []
    compare = ["bench compare", *outputs, *gate]
    return [" ".join(words) for words in (ab, compare) if words]


def render_gate(report: CompareReport, fmt: str, sides: Mapping[str, str], problems: Sequence[str],
                commands: Sequence[str], outputs: Sequence[str]) -> str:
    """The gate's answer in ``fmt`` (text, md or json); the report's ``failed`` already counts the problems."""
    if fmt == "json":
        data = json.loads(render_json(report, outputs[0], outputs[1], exit_code=int(report.summary.failed)))
        data.update(ab={"sides": dict(sides), "problems": list(problems), "reproduce": list(commands)})
        return json.dumps(data, indent=1) + "\n"
    body = RENDERERS[fmt](report, *outputs)
    if fmt == "md":
        head = ["**bench ab**: " + "; ".join(f"{label} = {text}" for label, text in sides.items()), ""]
        head += [f"> FAIL: {problem}" for problem in problems] + ([""] if problems else [])
        tail = ["", "To reproduce (from a checkout of the head, B):", "", "```sh", *commands, "```"]
        return "\n".join(head) + "\n" + body + "\n".join(tail) + "\n"
    head = [f"bench ab: side {label} = {text}" for label, text in sides.items()]
    head += [f"FAIL: {problem}" for problem in problems]
    tail = ["", "to reproduce (from a checkout of the head, B):", *[f"  {command}" for command in commands]]
    return "\n".join(head) + "\n" + body + "\n".join(tail) + "\n"
