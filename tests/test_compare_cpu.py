"""bench/compare_cpu.py: ratios are paired within a round, so a round slowed for everyone cancels out."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.compare_cpu import paired_ratios, to_markdown  # noqa: E402


def _rows(ms):
    return [{"16": [m, m * 0.9], "real": None} for m in ms]


def test_ratio_is_the_median_of_per_round_ratios():
    ours, ref = _rows([10.0, 30.0, 11.0]), _rows([12.0, 36.0, 10.0])  # round 2: the machine was busy
    ratios = paired_ratios(ours, ref, [16])
    assert abs(ratios[16] - 10 / 12) < 1e-9  # per round 0.833, 0.833, 1.1: median 0.833
    assert abs(ratios[16] - 11 / 12) > 0.05  # the ratio of the medians (11 / 12) would say otherwise


def test_table_shows_paired_ratios_and_the_cpu():
    result = {"cpu": "Some CPU", "lengths": [16], "date": "2026-01-01 00:00", "load_before": [1, 1, 1],
              "load_after": [1, 1, 1], "rounds": 3, "runs": 10, "sentences": 0, "sizes_mb": {"ours": 19.5},
              "ms": {"ours|2": _rows([10.0, 30.0, 11.0]), "keras-hub|2": _rows([12.0, 36.0, 10.0])}}
    text = to_markdown(result)
    assert "CPU: Some CPU" in text and "| ours | 2 | 11.0 (9.0) |" in text
    assert "| **ours / keras-hub** | 2 | **0.83** |" in text
