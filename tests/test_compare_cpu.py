"""bench/compare_cpu.py: ratios are paired within a round, so a round slowed for everyone cancels out."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.compare_cpu import paired_ratios, rotated, to_markdown  # noqa: E402


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
    assert "dense floor / keras-hub" not in text  # no floor timed: no bound row


def test_table_shows_the_floor_as_the_least_ratio_any_graph_can_score():
    timed = lambda ms: [dict(row, real=m) for row, m in zip(_rows(ms), ms)]  # noqa: E731
    ms = {"ours|2": timed([10.0, 30.0, 11.0]), "keras-hub|2": timed([12.0, 36.0, 10.0]),
          "dense floor|2": _rows([9.0, 18.0, 8.0])}  # per round 0.75, 0.5, 0.8: median 0.75; no real sentences
    result = {"cpu": "Some CPU", "lengths": [16], "date": "2026-01-01 00:00", "load_before": [1, 1, 1],
              "load_after": [1, 1, 1], "rounds": 3, "runs": 10, "sentences": 40, "sizes_mb": {"ours": 19.5},
              "ms": ms}
    text = to_markdown(result)
    assert "| dense floor / keras-hub (the least any graph can score) | 2 | 0.75 | – |" in text
    assert "| **ours / keras-hub** | 2 | **0.83** | **0.83** |" in text


def test_cpu_kind_tells_zen3_from_zen4_and_names_the_int8_isa(monkeypatch):
    from keras_albert_export import cpu as cpu_kind
    zen3 = {"Model name": "AMD EPYC", "CPU family": "25", "Model": "1", "CPU(s)": "2", "Thread(s) per core": "1",
            "L2 cache": "1 MiB", "L3 cache": "32 MiB", "Flags": "sse avx avx2 fma"}
    zen4 = dict(zen3, Model="17", Flags="avx2 avx512f avx512_vnni avx512_bf16")
    monkeypatch.setattr(cpu_kind, "lscpu", lambda: zen3)
    three = cpu_kind.cpu_kind()
    monkeypatch.setattr(cpu_kind, "lscpu", lambda: zen4)
    four = cpu_kind.cpu_kind()
    assert three.startswith("AMD EPYC (family 25 model 1)") and three.endswith(", avx2")
    assert "family 25 model 17" in four and four.endswith("avx512_vnni avx512_bf16 avx512f avx2")
    monkeypatch.setattr(cpu_kind, "lscpu", lambda: {})
    assert cpu_kind.cpu_kind().endswith("no AVX2")


def test_each_contender_runs_first_after_the_thread_switch_once_per_cycle():
    from types import SimpleNamespace
    workers = [SimpleNamespace(label=label, threads=t) for t in (1, 2) for label in ("ours", "keras-hub", "floor")]
    orders = [[(w.label, w.threads) for w in rotated(workers, r)] for r in range(3)]
    assert all([t for _, t in order] == [1, 1, 1, 2, 2, 2] for order in orders)  # thread counts stay grouped
    assert sorted(order[3][0] for order in orders) == ["floor", "keras-hub", "ours"]  # first on 2 threads
    assert all(sorted(order) == sorted((w.label, w.threads) for w in workers) for order in orders)


def test_perf_kernels_groups_the_symbols_seen_on_each_cpu_kind():
    """Symbols `perf` reported on the Xeon (AMX) and Zen 4 runs land in their group, not in "other"."""
    from bench.perf_kernels import group_of
    seen = {"xnn_qd8_f32_qc8w_gemm_minmax_ukernel_16x64c4__avx512amx": "int8 GEMM",
            "xnn_qd8_f32_qc8w_gemm_minmax_ukernel_5x64c4__asm_amd64_avx512vnni": "int8 GEMM",
            "xnn_f32_vapproxgelu_ukernel__avx512f_rational_12_10_div_u32": "GELU",
            "xnn_f32_vgelu_ukernel__avx512f_rational_12_10_div_u32": "GELU",
            "__memmove_avx512_unaligned_erms": "transpose / copy",
            "xnn_f32_gemm_minmax_ukernel_7x32__avx512f_broadcast": "float GEMM",
            "xnn_f32_qs8_vcvt_ukernel__avx512skx_u128": "quantize activations"}
    for symbol, group in seen.items():
        assert group_of(symbol).startswith(group), (symbol, group_of(symbol))
