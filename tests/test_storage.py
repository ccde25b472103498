import dataclasses
import json
import subprocess
import sys

import pytest

from bench import storage
from bench.model import BenchError
from bench.testing import make_result, make_results


def test_round_trip_keeps_raw_values_warmups_and_failures(tmp_path):
    results = make_results([
        make_result([0.5, 0.52, 0.49], strategy="serial", workers=1),
        make_result([0.3, 0.31], metrics={"char_accuracy": 0.99}),
        make_result([], ok=False, error="timed out after 5 s", strategy="pool-map", warmups=()),
    ])
    results.expected = {"fib[n=4]": ["aa", "bb"]}
    path = tmp_path / "r.json"
    storage.save(results, path)
    loaded = storage.load(path)
    assert [r.values for r in loaded.cases] == [(0.5, 0.52, 0.49), (0.3, 0.31), ()]
    assert loaded.cases[0].warmups == (0.2,)
    assert loaded.cases[1].metrics == {"char_accuracy": 0.99}
    assert (loaded.cases[2].ok, loaded.cases[2].error) == (False, "timed out after 5 s")
    assert loaded.expected == results.expected and loaded.complete


def test_reference_values_round_trip_as_their_own_pyperf_benchmark(tmp_path):
    results = make_results([make_result([0.5, 0.6], reference=[1.0, 1.1])])
    path = tmp_path / "r.json"
    storage.save(results, path)
    names = [b["metadata"]["name"] for b in json.loads(path.read_text())["benchmarks"]]
    assert names[1] == names[0] + storage.REFERENCE_SUFFIX
    loaded = storage.load(path).cases[0]
    assert loaded.reference == (1.0, 1.1) and loaded.paired
    done = subprocess.run([sys.executable, "-m", "pyperf", "stats", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def _pyperf_suite_json(results):
    """What pyperf's own suite writer makes of the results' benchmarks (the rule the file follows)."""
    import io

    import pyperf

    benchmarks = [storage._pyperf_benchmark(r, results.metadata, arm) for r in results.cases
                  for arm, has in (("case", r.values), ("reference", r.reference)) if has]
    buffer = io.StringIO()
    pyperf.BenchmarkSuite(benchmarks).dump(buffer, compact=True)
    return json.loads(buffer.getvalue())


def test_pyperf_part_is_what_pyperf_writes_and_is_built_once_per_case(tmp_path, monkeypatch):
    results = make_results([
        make_result([0.5, 0.52], strategy="serial", workers=1, metadata={"rounds": 2}),
        make_result([0.3, 0.31], reference=[0.5, 0.51], metadata={"rounds": 2, "stop_reason": "budget"}),
        make_result([], ok=False, error="timed out", strategy="pool-map", warmups=()),
        make_result([0.2], reference=[0.4], strategy="joblib", metadata={"rounds": 1}),
    ])
    results.metadata["hostname"] = "box"
    storage.save(results, tmp_path / "a.json")
    written = json.loads((tmp_path / "a.json").read_text())
    note = written["metadata"].pop("bench_reference_benchmarks")  # the one line pyperf does not write
    assert note.startswith("2 of the 5 benchmarks, named KEY#reference, are the serial reference cycles")
    assert {k: v for k, v in written.items() if k != "bench"} == _pyperf_suite_json(results)
    built = []
    original = storage._pyperf_part
    monkeypatch.setattr(storage, "_pyperf_part", lambda *args: built.append(args[2]) or original(*args))
    results.cases.append(make_result([0.25], strategy="dask-threads", metadata={"rounds": 1}))
    storage.save(results, tmp_path / "b.json")
    assert built == ["case"]  # only the new case: the others were kept from the first save
    results.metadata["hostname"] = "other"  # machine metadata is in every run: all are rebuilt
    storage.save(results, tmp_path / "c.json")
    assert len(built) == 1 + 6
    again = json.loads((tmp_path / "c.json").read_text())
    again["metadata"].pop("bench_reference_benchmarks")
    assert {k: v for k, v in again.items() if k != "bench"} == _pyperf_suite_json(results)


def test_results_are_valid_pyperf_files(small_run_path):
    for command in (["stats"], ["show"]):
        done = subprocess.run([sys.executable, "-m", "pyperf", *command, str(small_run_path)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    compared = subprocess.run([sys.executable, "-m", "pyperf", "compare_to", str(small_run_path), str(small_run_path)],
                              capture_output=True, text=True, timeout=60)
    assert compared.returncode == 0, compared.stderr


def test_harness_fields_are_in_pyperf_metadata(small_run_path):
    data = json.loads(small_run_path.read_text())
    bench = data["benchmarks"][0]
    # pyperf hoists metadata shared by all runs to the benchmark, and by all benchmarks to the file
    merged = {**data.get("metadata", {}), **bench.get("metadata", {}), **bench["runs"][0].get("metadata", {})}
    assert merged["bench_schema_version"] == 1  # the fixture is a schema-1 file: it still loads
    assert {"bench_workload", "bench_strategy", "bench_cores", "bench_mode", "cpu_model"} <= set(merged)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "r.json"
    storage.save(make_results([make_result([1.0])]), path)
    storage.save(make_results([make_result([1.0]), make_result([2.0], strategy="pool-map")]), path)
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    assert len(storage.load(path).cases) == 2


@pytest.mark.parametrize("content,message", [
    (b"", "not valid JSON"),
    (b'{"version": "1.0", "benchmarks": [', "not valid JSON"),
    (b"[1, 2]", "top level is not an object"),
    (b'{"version": "1.0", "benchmarks": []}', "no 'bench' section"),
    (b'{"bench": {"cases": []}}', "no schema_version"),
    (b'{"bench": {"schema_version": 99, "cases": []}}', "newer than this tool"),
    (b'{"bench": {"schema_version": 0, "cases": []}}', "too old and cannot be migrated"),
    (b'{"bench": {"schema_version": 1, "cases": [{"key": 1}]}}', "malformed case record"),
    (b"\xff\xfe\x00", "cannot read"),
])
def test_bad_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(BenchError, match=message) as caught:
        storage.load(path)
    assert "\n" not in str(caught.value)


def test_truncated_real_file_is_a_clean_error(tmp_path, small_run_path):
    data = small_run_path.read_bytes()
    path = tmp_path / "truncated.json"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BenchError, match="truncated or corrupt"):
        storage.load(path)


def test_missing_values_for_a_measured_case_are_detected(tmp_path, small_run_path):
    data = json.loads(small_run_path.read_text())
    data["benchmarks"] = data["benchmarks"][1:]
    path = tmp_path / "lost.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BenchError, match="values of .* are missing"):
        storage.load(path)


def _shared_case():
    """A case measured by two processes, the second skipping the case arm's warm-up."""
    return dataclasses.replace(
        make_result([0.30, 0.31, 0.32, 0.33], reference=[0.5, 0.51, 0.52, 0.53], warmups=(0.4,),
                    metadata={"processes": 2, "process_values": [2, 2], "process_warmups": [1, 0],
                              "process_reference_warmups": [1, 1], "value_starts": [1000.0, 1001.0, 1060.0, 1061.0]}),
        reference_warmups=(0.6, 0.61))


def test_each_case_process_is_one_dated_pyperf_run(tmp_path):
    import pyperf

    results = make_results([make_result([0.5, 0.52], strategy="serial", workers=1), _shared_case()])
    storage.save(results, tmp_path / "a.json")
    suite = pyperf.BenchmarkSuite.load(str(tmp_path / "a.json"))
    shared = suite.get_benchmark(results.cases[1].case.key)
    runs = shared.get_runs()
    assert [run.values for run in runs] == [(0.30, 0.31), (0.32, 0.33)]
    assert [len(run.warmups or ()) for run in runs] == [1, 0]
    assert [run.get_metadata()["date"] for run in runs] == ["1970-01-01T00:16:40+00:00", "1970-01-01T00:17:40+00:00"]
    start, end = shared.get_dates()
    assert (end - start).total_seconds() >= 61  # the run's span, not one process's few seconds
    back = storage.load(tmp_path / "a.json").cases[1]
    assert (back.values, back.warmups, back.reference_warmups) == ((0.30, 0.31, 0.32, 0.33), (0.4,), (0.6, 0.61))


def test_counts_that_do_not_add_up_make_one_run():
    broken = dataclasses.replace(_shared_case(), metadata={"process_values": [3, 3], "process_warmups": [1, 0],
                                                           "process_reference_warmups": [1, 1]})
    assert len(storage.process_slices(broken)) == 1
    assert [len(v) for v, _, _ in storage.process_slices(_shared_case(), "reference")] == [2, 2]
