"""How sure each verdict is: pairs, stop reason, absolute times, % of its own ideal, flags."""
from __future__ import annotations

import re

import pytest

from bench.analysis.records import Instance
from bench.analysis.verdict import Choice, VerdictRow
from bench.render.html import document, page, sure
from bench.testing import make_result, make_results

pytestmark = pytest.mark.unit  # pure and fast: no processes (make test-fast)

SERIAL = [1.00, 1.01, 0.99, 1.02, 0.98]
REFERENCE = [1.0, 1.02, 0.98, 1.01]


def paired_run(warm=0.52, cold=0.55, stop="budget,budget", extra=None):
    """A serial case and threads warm/cold on 2 cores, each with 4 pairs against its reference."""
    meta = {"stop_reason": stop, **(extra or {})}
    return make_results([
        make_result(SERIAL, strategy="serial", workers=1),
        make_result([warm * r for r in REFERENCE], reference=REFERENCE, metadata=meta),
        make_result([cold * r for r in REFERENCE], reference=REFERENCE, mode="cold", metadata=meta)])


def test_the_verdict_says_pairs_stop_reason_and_absolute_times():
    report = page.build(paired_run())
    (rests,) = report.sure
    assert rests.n_pairs == 4 and rests.stop == "budget"  # one word per distinct reason
    assert rests.serial_s == pytest.approx(1.005, rel=1e-3)
    assert rests.parallel_s == pytest.approx(0.52 * 1.005, rel=1e-2)
    assert rests.ideal == 2.0 and rests.of_ideal == pytest.approx(1 / 0.52 / 2, rel=1e-3)
    html = document.render(report)
    verdict = re.search(r'<section id="verdict">(.*?)</section>', html, re.DOTALL).group(1)
    assert "4 pairs, stopped: budget" in verdict and "1.00 s → 523 ms" in verdict and "96%" in verdict


def test_a_cold_case_ahead_of_warm_says_the_mode_does_not_matter():
    report = page.build(paired_run(warm=0.56, cold=0.53))
    assert report.verdicts[0].best.mode == "cold"
    assert report.sure[0].mode_note.startswith("The mode does not matter: warm x1.79")
    assert "either mode" in document.render(report)


def test_a_clearly_faster_warm_case_keeps_its_mode():
    report = page.build(paired_run(warm=0.5, cold=0.9))
    assert report.sure[0].mode_note == ""


def test_near_its_ideal_the_reading_is_the_ideal_not_a_loss():
    report = page.build(paired_run(warm=0.505))
    assert report.verdicts[0].why.startswith("At 99% of its own ideal (x2)")
    assert sure.near_ideal_words(report.sure[0]) == report.verdicts[0].why


def _row(strategy="threads"):
    best = Choice(strategy, "warm", 2, 2, 2.02, 1.9, 2.1, 1.01)
    return VerdictRow(Instance("ocr", "", ""), "ocr", 2, best, None, "Use threads.", 0)


def _record(**extra):
    return {"workload": "ocr", "params": "", "python": "", "strategy": "threads", "mode": "warm", "cores": 2,
            "workers": 2, "speedup": 2.02, "speedup_ci_low": 1.9, "speedup_ci_high": 2.1, "ok": True, **extra}


def test_flags_say_above_the_ceiling_disturbed_and_not_decided_in_words():
    record = _record(ceiling=1.94, ceiling_kind="cpu",
                     ceiling_note="above the measured ceiling x1.94 (CI 1.80-2.00; readings this run: x1.94): "
                                  "the ceiling reading was noisy or the machine moved",
                     disturbed=True, foreign_cpu_share=0.3, decided=False)
    kinds = {f.kind: f.text for f in sure.flags(record, None, _row())}
    assert kinds["ceiling"].startswith("above the measured ceiling x1.94")
    assert "another process held a core" in kinds["disturbed"] and "30%" in kinds["disturbed"]
    assert "not decided" in kinds["undecided"]
    assert sure.flags(_record(ceiling=2.2), None, _row()) == ()  # under its ceiling: nothing to say
    (layout,) = sure.flags(_record(uses_smt_siblings=True), None, _row())
    assert layout.text == "uses smt siblings: True"  # another issue's topology column, shown where present


def test_unstable_times_are_flagged_as_pyperf_check_would():
    noisy = make_result([0.5, 0.9, 0.45, 0.5], reference=REFERENCE)
    (flag,) = sure.flags(_record(), noisy, _row())
    assert flag.kind == "unstable" and "standard deviation" in flag.text
    assert sure.pyperf_check_counts([noisy]) == (1, 0, 2)


def test_the_ideal_is_the_workloads_own_where_it_knows_it():
    assert sure.ideal_of({"ideal_speedup": 4.0, "workers": 4, "cores": 2}) == 4.0
    assert sure.ideal_of({"ideal_speedup": None, "workers": 4, "cores": 2}) == 2.0
