"""`bench noise`: the square wave's schedule with a fake clock; bad options exit 2."""
from __future__ import annotations

from bench.cli import main
from bench.cli.noise import busy, square_wave, until_change


def test_the_wave_is_busy_first_then_idle():
    assert [busy(t, 2.0, 3.0) for t in (0.0, 1.9, 2.0, 4.9, 5.0)] == [True, True, False, False, True]
    assert until_change(0.5, 2.0, 3.0) == 1.5 and until_change(2.5, 2.0, 3.0) == 2.5


class FakeTime:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def clock(self):
        self.now += 0.25  # every look at the clock costs a quarter second of spinning
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 2))
        self.now += seconds


def test_square_wave_sleeps_through_each_idle_half_and_stops_at_the_duration():
    fake = FakeTime()
    square_wave(1.0, 2.0, 6.0, clock=fake.clock, sleep=fake.sleep)
    assert len(fake.slept) == 2 and all(1.5 <= s <= 2.0 for s in fake.slept)
    assert 6.0 <= fake.now <= 7.0


def test_bad_noise_options_exit_2(capsys):
    for argv in (["--on", "-1"], ["--duration", "inf"], ["--cpu", "999"], ["--on", "nan"]):
        assert main(["noise", *argv]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 4


def test_a_short_noise_run_exits_0_and_gives_the_caller_its_cpus_back():
    import os

    mask = os.sched_getaffinity(0)
    assert main(["noise", "--on", "0.05", "--off", "0.05", "--duration", "0.2"]) == 0
    assert os.sched_getaffinity(0) == mask
