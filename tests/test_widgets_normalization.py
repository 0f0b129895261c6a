"""Tests of the normalisation explorer: which cells form a group, checked against real PyTorch, headless."""

import io

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from PIL import Image

from course.widgets import norm_explorer
from course.widgets.normalization import (
    KINDS,
    LAYOUTS,
    MAX_N,
    block_colours,
    compare,
    example,
    group_count,
    group_mask,
    torch_layer,
)

SETTINGS = [(kind, layout, n) for kind in KINDS for layout in LAYOUTS for n in (1, 2, MAX_N)]


@pytest.mark.parametrize("kind, layout, n", SETTINGS)
def test_groups_partition_the_tensor(kind, layout, n):
    """Check that the groups cover every cell exactly once and all have the same size"""
    masks = [group_mask(kind, layout, n, i) for i in range(group_count(kind, layout, n))]
    total = np.sum(masks, axis=0)
    assert (total == 1).all()
    assert len({int(m.sum()) for m in masks}) == 1


@pytest.mark.parametrize("kind, layout, n", SETTINGS)
def test_each_group_normalised_alone_is_what_pytorch_gives(kind, layout, n):
    """Check that normalising the cells of one group by themselves reproduces nn.BatchNorm/nn.LayerNorm"""
    for index in range(group_count(kind, layout, n)):
        result = compare(kind, layout, n, index)
        if "error" in result:
            assert kind == "batch" and result["size"] == 1
            continue
        assert result["difference"] < 1e-5
        values = result["values"].double()
        assert result["mean"] == pytest.approx(values.mean().item(), abs=1e-5)
        assert result["var"] == pytest.approx(values.var(correction=0).item(), rel=1e-4, abs=1e-6)


def test_group_counts_match_the_layers_parameters():
    """Check that BatchNorm has one group per weight entry, LayerNorm one per sample or token"""
    for layout in LAYOUTS:
        assert group_count("batch", layout, 4) == torch_layer("batch", layout).weight.numel()
    assert group_count("layer", "image", 5) == 5
    assert group_count("layer", "sequence", 5) == 5 * example("sequence", 5).shape[1]
    assert group_count("layer", "features", 2) == 2


def test_pytorch_refuses_one_value_per_channel_and_the_explorer_says_so():
    """Check that BatchNorm on a (1, C) batch shows PyTorch's ValueError in the status line"""
    explorer = norm_explorer(kind="batch", layout="features", n=1)
    assert "error" in explorer.result
    assert "Expected more than 1 value per channel" in explorer.message
    explorer.layout.value = "image"
    assert "PyTorch agrees" in explorer.message
    explorer.close()


def test_only_the_group_is_drawn_in_full_colour():
    """Check that cells outside the chosen group are washed towards white and those inside are not"""
    cells = block_colours("layer", "sequence", 3, 4)
    mask = group_mask("layer", "sequence", 3, 4)
    assert (cells[~mask].min(axis=-1) > 0.8).all()
    assert (cells[mask].min(axis=-1) < 0.8).any()


def test_group_slider_follows_the_number_of_groups_and_pictures_keep_their_size():
    """Check that the group slider's range follows the settings and each picture is shown at its PNG size"""
    explorer = norm_explorer(kind="layer", layout="sequence", n=MAX_N, group=17)
    assert explorer.group.max == group_count("layer", "sequence", MAX_N) - 1
    explorer.kind.value = "batch"
    assert explorer.group.max == group_count("batch", "sequence", MAX_N) - 1
    assert explorer.group.value <= explorer.group.max
    for control, value in ((explorer.n, 2), (explorer.layout, "features")):
        control.value = value
        width, height = Image.open(io.BytesIO(explorer.image.value)).size
        assert (explorer.image.layout.width, explorer.image.layout.height) == (f"{width}px", f"{height}px")
        assert width <= 900 and height <= 200
        assert np.array_equal(explorer.mask, group_mask(explorer.kind.value, explorer.layout.value,
                                                        explorer.n.value, explorer.group.value))
    assert isinstance(explorer.box, widgets.VBox)
    explorer.close()


def test_example_is_fixed_and_leaves_the_global_generator_alone():
    """Check that the example tensor is the same every time and does not touch torch's global RNG"""
    state = torch.random.get_rng_state()
    first = example("image", 3)
    assert torch.equal(first, example("image", MAX_N)[:3])
    assert torch.equal(torch.random.get_rng_state(), state)


def test_bad_arguments_raise_value_error():
    """Check the explorer's argument checks"""
    with pytest.raises(ValueError):
        norm_explorer(kind="group")
    with pytest.raises(ValueError):
        norm_explorer(n=0)
    with pytest.raises(ValueError):
        norm_explorer(kind="batch", layout="image", group=3)
