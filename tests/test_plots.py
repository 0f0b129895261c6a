"""Tests for course.plots: figures hold what they claim and bad input is explained."""

import pytest
import torch

from course import plots


def test_show_images_titles_carry_shapes():
    fig = plots.show_images([torch.zeros(1, 4, 5), torch.zeros(3, 2, 2)], titles=["a", "b"])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["a\n4×5", "b\n2×2"]


def test_show_images_rejects_a_batch():
    with pytest.raises(ValueError, match=r"shape \(2, 1, 4, 4\)"):
        plots.show_images([torch.zeros(2, 1, 4, 4)])


def test_show_signals_applies_offsets():
    fig = plots.show_signals([torch.arange(5.0), torch.arange(3.0)], ["in", "out"],
                             offsets=[0, 1])
    lines = fig.axes[0].get_lines()
    assert list(lines[1].get_xdata()) == [1, 2, 3]


def test_show_histograms_one_panel_per_tensor():
    fig = plots.show_histograms([torch.randn(100), torch.rand(100)], ["normal_", "uniform_"])
    assert [ax.get_title() for ax in fig.axes] == ["normal_", "uniform_"]


def test_mismatched_labels_are_refused():
    with pytest.raises(ValueError, match="2 signals but 1 labels"):
        plots.show_signals([torch.zeros(2), torch.zeros(2)], ["only one"])
