"""Tests of the batch explorer's layout and picture, built from batches given by hand or a real DataLoader."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course.widgets._raster import cell_size
from course.widgets.batches_pictures import (
    _DROPPED,
    _MARGIN,
    BatchLayout,
    batch_layout,
    cell_colours,
    picture_pixels,
)


def _loader_batches(n, b, drop_last, epochs):
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=b, drop_last=drop_last)
    return tuple(tuple(tuple(batch.tolist()) for (batch,) in loader) for _ in range(epochs))


def test_layout_places_batches_in_order_and_dropped_samples_last():
    """Check order, batch and global step of every position for two hand-made epochs."""
    layout = batch_layout(5, [[(3, 1), (0, 4)], [(2, 0)]])
    assert layout.order.tolist() == [[3, 1, 0, 4, 2], [2, 0, 1, 3, 4]]
    assert layout.batch.tolist() == [[0, 0, 1, 1, -1], [0, 0, -1, -1, -1]]
    assert layout.step.tolist() == [[1, 1, 2, 2, -1], [3, 3, -1, -1, -1]]
    assert layout.steps_counted == (2, 1) and layout.first_step(1) == 3
    assert layout.dropped.sum(axis=1).tolist() == [1, 3]


@pytest.mark.parametrize("n, b, drop_last", [(10, 4, False), (10, 4, True), (12, 4, True), (5, 8, True),
                                             (1, 64, False), (200, 64, True)])
def test_counts_are_read_off_what_the_loader_yielded(n, b, drop_last):
    """Check steps per epoch, total steps, last batch size and dropped samples against a real DataLoader."""
    batches = _loader_batches(n, b, drop_last, epochs=3)
    layout = batch_layout(n, batches)
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=b, drop_last=drop_last)
    assert layout.steps_per_epoch == len(loader) == len(batches[0])
    assert layout.total_steps == 3 * len(loader)
    sizes = [len(batch) for batch in batches[0]]
    assert layout.last_batch_size == (sizes[-1] if sizes else 0)
    assert layout.dropped_per_epoch == n - sum(sizes)


def test_layout_rejects_a_sample_used_twice_or_unknown():
    """Check that an epoch using a sample twice, or a sample outside 0..N-1, raises ValueError."""
    with pytest.raises(ValueError, match="epoch 1 does not use each of the 3 samples at most once"):
        batch_layout(3, [[(0, 1), (1,)]])
    with pytest.raises(ValueError, match="epoch 2 does not use each"):
        batch_layout(3, [[(0,)], [(5,)]])


def test_cell_colours_change_at_each_batch_and_grey_the_dropped():
    """Check that neighbouring batches differ in colour and dropped positions are grey."""
    layout = batch_layout(7, [[(0, 1, 2), (3, 4, 5)]])
    colours = cell_colours(layout)
    assert colours.shape == (1, 7, 3)
    assert np.all(colours[0, :3] == colours[0, 0]) and not np.array_equal(colours[0, 0], colours[0, 3])
    assert np.all(colours[0, 6] == _DROPPED)


def test_picture_is_a_pure_function_of_the_layout():
    """Check the picture's size, that it is RGB uint8, and that the same layout draws the same pixels."""
    layout = batch_layout(10, _loader_batches(10, 4, False, epochs=2))
    assert isinstance(layout, BatchLayout)
    pixels = picture_pixels(layout, cell_colours(layout))
    assert pixels.dtype == np.uint8 and pixels.shape[2] == 3
    assert pixels.shape[1] == _MARGIN + 10 * cell_size(10, width=800, smallest=3, largest=36) + 3
    assert np.array_equal(pixels, picture_pixels(layout, cell_colours(layout)))


def test_the_band_under_each_row_shows_the_sample_order_even_with_tiny_cells():
    """Check that at 200 samples the band under a shuffled row follows the loader's order, sample by sample"""
    from course.widgets import batches_pictures
    from course.widgets.batches_pictures import BAND, sample_colours

    n = 200
    permutation = torch.randperm(n, generator=torch.Generator().manual_seed(1)).tolist()
    shuffled = batch_layout(n, [[tuple(permutation[k:k + 50]) for k in range(0, n, 50)]])
    ordered = batch_layout(n, [[tuple(range(k, k + 50)) for k in range(0, n, 50)]])
    cell = cell_size(n, width=800, smallest=3, largest=36)
    for layout in (shuffled, ordered):
        pixels = picture_pixels(layout, cell_colours(layout))
        height = max(cell, 16)
        band_row = batches_pictures._STRIP + height + 1 + BAND // 2
        drawn = pixels[band_row, batches_pictures._MARGIN + cell // 2::cell][:n]
        expected = np.round(sample_colours(layout)[0] * 255).astype(np.uint8)
        assert np.array_equal(drawn, expected)
    # In order the band only darkens; shuffled it jumps back and forth within a batch.
    steps = np.diff(sample_colours(ordered)[0, :, 0])
    assert (steps <= 0).all() or (steps >= 0).all()
    jumps = np.diff(sample_colours(shuffled)[0, :50, 0])
    assert (jumps > 0).any() and (jumps < 0).any()
