"""Time each explorer from a control change to a finished redraw.

    python scripts/benchmark_explorers.py [--repeat 60] [--only conv]

For every explorer, at its default size and at its largest size, the script sets a
control to a new value many times and times each assignment: the explorer's
callback runs synchronously inside it, so the time covers the computation, the
redraw and the PNG encoding. (In a live notebook the new PNG is then sent to the
browser; that transfer is not part of this figure.) It prints the median and the
95th percentile per scenario, and checks the conv explorer against the issue's
targets (median <= 50 ms, p95 <= 100 ms).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

TARGETS = {"conv": (50.0, 100.0)}  # (median, p95) in milliseconds


@dataclass
class Scenario:
    explorer: str
    size: str
    control: str
    make: Callable
    values: list

    def act(self, explorer, value) -> None:
        """One change: set the control's value, or press it when it is a button."""
        control = explorer
        for part in self.control.split("."):  # "logits.0" is explorer.logits[0]
            control = control[int(part)] if part.isdigit() else getattr(control, part)
        if value == "click":
            control.click()
        else:
            control.value = value


def _scenarios() -> list[Scenario]:
    from course import widgets as w

    conv_largest = dict(size=16, kernel_size=3, stride=1, padding=4, dilation=1)
    pool_largest = dict(kind="avg", size=16, kernel_size=7, stride=1, padding=3, ceil_mode=True)
    batches_largest = dict(num_samples=200, batch_size=1, epochs=10, shuffle=True)
    eight_logits = tuple(float(i) for i in range(8))
    # Distinct values in a longer cycle than the explorers' caches, so every change is new work.
    new_sizes = list(range(100, 201))
    decays = [float(10.0 ** (k / 4)) for k in range(-32, 1)]      # the overfitting explorer's λ slider
    return [
        Scenario("conv", "default 7×7", "stride", lambda: w.conv_explorer(), [2, 1]),
        Scenario("conv", "default 7×7", "step", lambda: w.conv_explorer(), list(range(25))),
        Scenario("conv", "largest 16×16, padding 4", "stride",
                 lambda: w.conv_explorer(**conv_largest), [2, 1]),
        Scenario("conv", "largest 16×16, padding 4", "step",
                 lambda: w.conv_explorer(**conv_largest), list(range(22 * 22))),
        Scenario("conv", "largest, image values", "kernel",
                 lambda: w.conv_explorer(**conv_largest, values="image"), ["blur", "sharpen", "edge"]),
        Scenario("conv", "1-D largest 32, padding 4", "dilation",
                 lambda: w.conv_explorer(dims=1, size=32, padding=4), [2, 3, 4, 1]),
        Scenario("pooling", "default 7×7", "ceil_mode", lambda: w.pooling_explorer(), [True, False]),
        Scenario("pooling", "default 7×7", "step", lambda: w.pooling_explorer(), list(range(9))),
        Scenario("pooling", "largest 16×16, k 7, p 3, ceil", "stride",
                 lambda: w.pooling_explorer(**pool_largest), [2, 1]),
        Scenario("pooling", "largest 16×16, k 7, p 3, ceil", "step",
                 lambda: w.pooling_explorer(**pool_largest), list(range(256))),
        Scenario("dropout", "default 10×10", "p", lambda: w.dropout_explorer(),
                 [round(0.05 * i, 2) for i in range(1, 20)]),
        Scenario("dropout", "default 10×10", "resample", lambda: w.dropout_explorer(), ["click"]),
        Scenario("dropout", "largest 32×32", "p", lambda: w.dropout_explorer(size=32),
                 [round(0.05 * i, 2) for i in range(1, 20)]),
        Scenario("dropout", "largest 32×32", "resample", lambda: w.dropout_explorer(size=32), ["click"]),
        Scenario("softmax", "default 4 logits", "logits.0", lambda: w.softmax_explorer(),
                 [2.0, 50.0, 95.0, -5.0]),
        Scenario("softmax", "default 4 logits", "temperature", lambda: w.softmax_explorer(),
                 [0.1, 1.0, 5.0]),
        Scenario("softmax", "largest 8 logits", "logits.0", lambda: w.softmax_explorer(eight_logits),
                 [2.0, 50.0, 95.0, -5.0]),
        Scenario("batches", "default N 10, B 4, 2 epochs", "batch_size", lambda: w.batch_explorer(), [3, 4]),
        Scenario("batches", "default N 10, B 4, 2 epochs", "drop_last", lambda: w.batch_explorer(),
                 [True, False]),
        Scenario("batches", "largest N 200, B 1, 10 epochs", "drop_last",
                 lambda: w.batch_explorer(**batches_largest), [True, False]),
        Scenario("batches", "largest, new settings each time", "num_samples",
                 lambda: w.batch_explorer(**batches_largest), new_sizes),
        Scenario("norm", "default (4, 3, 2, 2)", "group", lambda: w.norm_explorer(), [1, 2, 0]),
        Scenario("norm", "largest N 6, LayerNorm (N, T, D)", "group",
                 lambda: w.norm_explorer(kind="layer", layout="sequence", n=6), list(range(18))),
        Scenario("norm", "largest N 6, LayerNorm (N, T, D)", "kind",
                 lambda: w.norm_explorer(kind="layer", layout="sequence", n=6), ["batch", "layer"]),
        Scenario("optimizer", "default bowl, SGD, 100 steps", "step", lambda: w.optimizer_explorer(),
                 list(range(101))),
        Scenario("optimizer", "largest Adam, 200 steps", "step",
                 lambda: w.optimizer_explorer(optimizer="Adam", lr=0.1, steps=200), list(range(201))),
        Scenario("optimizer", "largest Adam, 200 steps", "lr",
                 lambda: w.optimizer_explorer(optimizer="Adam", lr=0.1, steps=200), [0.05, 0.1, 0.2]),
        Scenario("optimizer", "Rosenbrock Nesterov, 200 steps", "surface",
                 lambda: w.optimizer_explorer(optimizer="Nesterov", lr=0.001, steps=200),
                 ["Rosenbrock", "bowl"]),
        Scenario("mlp", "default XOR, 4 ReLU units", "step", lambda: w.mlp_explorer(), list(range(1, 61))),
        Scenario("mlp", "largest moons, 32 GELU units", "step",
                 lambda: w.mlp_explorer("moons", "gelu", 32), list(range(1, 61))),
        Scenario("mlp", "largest moons, new width each time", "hidden",
                 lambda: w.mlp_explorer("moons", "gelu", 32), [31, 32]),
        Scenario("overfitting", "default 20 points", "degree", lambda: w.overfitting_explorer(),
                 list(range(16))),
        Scenario("overfitting", "default 20 points", "weight_decay", lambda: w.overfitting_explorer(),
                 decays),
        Scenario("overfitting", "largest 80 points, degree 15", "weight_decay",
                 lambda: w.overfitting_explorer(degree=15, n_train=80), decays),
        Scenario("overfitting", "largest, new training size", "n_train",
                 lambda: w.overfitting_explorer(degree=15), [10, 20, 30, 40, 50, 60, 70, 80]),
        Scenario("attention", "default 31415", "causal", lambda: w.attention_explorer(), [True, False]),
        Scenario("attention", "default 31415", "padding_mask", lambda: w.attention_explorer(), [False, True]),
        Scenario("attention", "largest 8 digits, new sequences", "sequence",
                 lambda: w.attention_explorer("12345678"), ["12345678", "87654321", "31415926", "27182818"]),
        Scenario("feature_maps", "trained CNN, 8 maps of 8×8 and 16 of 2×2", "layer",
                 lambda: w.feature_map_explorer(),
                 ["relu1", "pool1", "conv2", "relu2", "pool2", "dropout", "conv1"]),
        Scenario("feature_maps", "trained CNN, new digits each time", "index",
                 lambda: w.feature_map_explorer(layer="conv1"), list(range(1, 120))),
    ]


def _measure(scenario: Scenario, repeat: int) -> list[float]:
    explorer = scenario.make()
    values = itertools.cycle(scenario.values)
    scenario.act(explorer, next(values))  # warm-up: first-call imports
    times = []
    for _ in range(repeat):
        value = next(values)
        start = time.perf_counter()
        scenario.act(explorer, value)
        times.append((time.perf_counter() - start) * 1000)
    explorer.close()
    return times


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=60, help="control changes per scenario (default 60)")
    parser.add_argument("--only", help="benchmark only this explorer (conv, pooling, dropout, ...)")
    args = parser.parse_args(argv)
    if args.repeat < 5:
        parser.error("--repeat must be at least 5 for a meaningful p95")

    scenarios = [s for s in _scenarios() if args.only in (None, s.explorer)]
    if not scenarios:
        parser.error(f"no explorer called {args.only!r}")
    print(f"{'explorer':<9} {'size':<32} {'control':<12} {'median ms':>9} {'p95 ms':>8}  target")
    missed = []
    for scenario in scenarios:
        times = _measure(scenario, args.repeat)
        median, p95 = statistics.median(times), _p95(times)
        verdict = ""
        if scenario.explorer in TARGETS:
            median_target, p95_target = TARGETS[scenario.explorer]
            ok = median <= median_target and p95 <= p95_target
            verdict = f"{'ok' if ok else 'MISSED'} (≤ {median_target:g} / ≤ {p95_target:g})"
            if not ok:
                missed.append(scenario)
        print(f"{scenario.explorer:<9} {scenario.size:<32} {scenario.control:<12} {median:9.1f} {p95:8.1f}  "
              f"{verdict}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
