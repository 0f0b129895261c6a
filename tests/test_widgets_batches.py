"""Headless tests of the epoch / batch / step explorer: set the controls, compare with a real DataLoader."""

import io
import itertools
import re

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, TensorDataset

from course.widgets import batches, batches_pictures
from course.widgets.batches import batch_explorer, batch_plan

SIZES = [1, 2, 5, 7, 10, 33, 64, 100, 200]
BATCH_SIZES = [1, 3, 4, 8, 10, 64]
GRID = list(itertools.product(SIZES, BATCH_SIZES, [False, True]))


def _set(explorer, **values):
    for name, value in values.items():
        getattr(explorer, name).value = value


def _loader(n, b, drop_last, shuffle=False, seed=0):
    return DataLoader(TensorDataset(torch.arange(n)), batch_size=b, shuffle=shuffle, drop_last=drop_last,
                      generator=torch.Generator().manual_seed(seed))


def _number(label, name):
    found = re.search(rf"{name}: (\d+)", label)
    assert found, f"no '{name}: <number>' in {label!r}"
    return int(found.group(1))


@pytest.fixture(scope="module")
def explorer():
    made = batch_explorer()
    yield made
    made.close()


def test_steps_per_epoch_label_equals_len_dataloader(explorer):
    """Check that, over a grid of (N, B, drop_last), the steps-per-epoch label equals len(DataLoader)"""
    _set(explorer, epochs=2, shuffle=False)
    for n, b, drop_last in GRID:
        _set(explorer, num_samples=n, batch_size=b, drop_last=drop_last)
        expected = len(_loader(n, b, drop_last))
        assert _number(explorer.steps_text.value, "steps per epoch") == expected, (n, b, drop_last)
        assert explorer.layout.steps_counted == (expected, expected)
        if expected:
            assert explorer.message.startswith(f"PyTorch agrees: len(DataLoader(...)) = {expected},")
        else:
            assert explorer.message.startswith("No step at all: every sample is dropped")


def test_total_steps_is_epochs_times_steps_per_epoch(explorer):
    """Check that the total is epochs × len(DataLoader) and equals the steps a real loop makes"""
    _set(explorer, shuffle=True)
    for (n, b, drop_last), epochs in itertools.product([(10, 4, False), (10, 4, True), (200, 64, False),
                                                        (37, 5, True), (3, 8, True)], [1, 2, 7, 10]):
        _set(explorer, num_samples=n, batch_size=b, drop_last=drop_last, epochs=epochs)
        loader = _loader(n, b, drop_last, shuffle=True)
        counted = sum(1 for _ in range(epochs) for _ in loader)
        assert _number(explorer.total_text.value, "total steps") == epochs * len(loader) == counted
        numbered = explorer.layout.step[explorer.layout.step > 0]
        assert len(np.unique(numbered)) == counted, "every step should get its own global number"
        if counted:
            assert numbered.min() == 1 and numbered.max() == counted


def test_rows_cover_each_sample_once_and_mark_the_dropped(explorer):
    """Check that every row holds each sample once, batched like the DataLoader, dropped ones grey"""
    _set(explorer, epochs=3, shuffle=False)
    for n, b, drop_last in GRID:
        _set(explorer, num_samples=n, batch_size=b, drop_last=drop_last)
        layout, cells = explorer.layout, explorer.cells
        sizes = [len(batch) for (batch,) in _loader(n, b, drop_last)]
        dropped = n - sum(sizes)
        assert layout.order.shape == (3, n) and cells.shape == (3, n, 3)
        for e in range(3):
            assert sorted(layout.order[e].tolist()) == list(range(n)), (n, b, drop_last, e)
            assert layout.dropped[e].sum() == dropped == (n % b if drop_last else 0)
            assert layout.dropped[e, n - dropped:].all() and (layout.step[e, :n - dropped] > 0).all()
            assert np.all(cells[e, layout.dropped[e]] == batches_pictures._DROPPED)
            assert not np.any(np.all(cells[e, ~layout.dropped[e]] == batches_pictures._DROPPED, axis=-1))
            # positions of one batch share a colour; the next batch has another one
            starts = np.cumsum([0] + sizes)
            for k, (start, end) in enumerate(itertools.pairwise(starts)):
                assert np.all(layout.step[e, start:end] == layout.first_step(e) + k)
                assert np.all(cells[e, start:end] == cells[e, start])
                if end < n:
                    assert not np.array_equal(cells[e, start], cells[e, end])


def test_counts_match_the_real_batches(explorer):
    """Check the last batch size and the samples dropped per epoch against a real DataLoader"""
    _set(explorer, epochs=1, shuffle=False)
    for n, b, drop_last in [(10, 4, False), (10, 4, True), (12, 4, True), (1, 64, False), (200, 64, True)]:
        _set(explorer, num_samples=n, batch_size=b, drop_last=drop_last)
        sizes = [len(batch) for (batch,) in _loader(n, b, drop_last)]
        details = explorer.details_text.value
        assert f"last batch of an epoch: {sizes[-1]} sample" in details
        assert f"samples dropped per epoch: {n - sum(sizes)}" in details
    assert explorer.lines == ["epoch 1: steps 1–3 · batch sizes 64, 64, 64 · 8 samples dropped"]


def test_default_explorer_shows_the_notebooks_example():
    """Check the default settings: 10 samples in batches of 4 for 2 epochs make 3 + 3 steps"""
    explorer = batch_explorer()
    assert "<b>steps per epoch: 3</b> = ⌈10 / 4⌉ = 3" in explorer.steps_text.value
    assert "<b>total steps: 6</b> = 2 epochs × 3" in explorer.total_text.value
    assert explorer.lines == ["epoch 1: steps 1–3 · batch sizes 4, 4, 2",
                              "epoch 2: steps 4–6 · batch sizes 4, 4, 2"]
    assert explorer.layout.order.tolist() == [list(range(10))] * 2
    assert "DataLoader(TensorDataset(torch.arange(10)), batch_size=4, shuffle=False, drop_last=False" \
        in explorer.code_text.value
    assert "course-steps-per-epoch" in explorer.steps_text._dom_classes
    assert "course-batch-size" in explorer.batch_size._dom_classes
    explorer.close()


@pytest.mark.parametrize("seed", [0, 7])
def test_shuffled_picture_is_what_the_real_dataloader_yields(seed):
    """Check that with shuffle the rows are the batches of a DataLoader built with the same generator"""
    explorer = batch_explorer(num_samples=23, batch_size=5, epochs=1, shuffle=True, seed=seed)
    _set(explorer, epochs=4)      # more epochs continue the same generator, as a training loop does
    for drop_last in (False, True):
        _set(explorer, drop_last=drop_last)
        loader = _loader(23, 5, drop_last, shuffle=True, seed=seed)
        for e in range(4):
            real = [batch.tolist() for (batch,) in loader]
            layout = explorer.layout
            kept = ~layout.dropped[e]
            assert layout.order[e, kept].tolist() == [s for batch in real for s in batch]
            assert explorer.batches[e] == tuple(tuple(batch) for batch in real)
            drawn = [layout.order[e, layout.batch[e] == k].tolist() for k in range(len(real))]
            assert drawn == real
            assert sorted(layout.order[e].tolist()) == list(range(23))
    explorer.close()


def test_zero_steps_gives_a_message_not_a_traceback(explorer):
    """Check that a batch larger than the data set with drop_last=True says no step is made"""
    _set(explorer, num_samples=5, batch_size=8, drop_last=True, epochs=2, shuffle=False)
    assert len(_loader(5, 8, True)) == 0
    assert explorer.message.startswith("No step at all: every sample is dropped")
    assert "len(DataLoader(...)) = 0" in explorer.message
    assert "no step at all, every sample is dropped" in explorer.steps_text.value
    assert _number(explorer.total_text.value, "total steps") == 0
    assert "last batch of an epoch: none" in explorer.details_text.value
    assert "samples dropped per epoch: all 5" in explorer.details_text.value
    assert explorer.layout.dropped.all() and explorer.lines[0] == "epoch 1: no step; all 5 samples dropped"
    _set(explorer, drop_last=False)
    assert _number(explorer.steps_text.value, "steps per epoch") == 1
    assert explorer.message.startswith("PyTorch agrees")
    made = batch_explorer(num_samples=5, batch_size=8, drop_last=True)
    assert made.message.startswith("No step at all")
    made.close()


def test_a_disagreement_with_pytorch_is_reported(explorer, monkeypatch):
    """Check that the status line says so when len(DataLoader) and the formula ever differ"""
    monkeypatch.setattr(batches, "loader_length", lambda plan: len(batches.make_loader(plan)) + 1)
    _set(explorer, num_samples=9, batch_size=2, drop_last=False)
    explorer.update()
    assert explorer.message.startswith("The formula and PyTorch disagree: ⌈9 / 2⌉ = 5 steps per epoch, "
                                       "but len(DataLoader(...)) = 6")


def test_picture_has_a_row_per_epoch_and_bold_batch_boundaries(explorer):
    """Check the PNG's size follows the epochs and the batch boundaries are drawn dark"""
    _set(explorer, num_samples=10, batch_size=4, drop_last=False, shuffle=False)
    heights = {}
    for epochs in (1, 2, 5):
        _set(explorer, epochs=epochs)
        image = np.asarray(Image.open(io.BytesIO(explorer.image.value)).convert("RGB"))
        heights[epochs] = image.shape[0]
        cell = batches_pictures.cell_size(10, width=800, smallest=3, largest=36)
        assert image.shape[1] == batches_pictures._MARGIN + 10 * cell + 3
        middle = batches_pictures._STRIP + cell // 2
        for boundary in (4, 8):                           # between steps 1 | 2 and 2 | 3
            x = batches_pictures._MARGIN + boundary * cell
            assert np.all(image[middle, x - 1:x + 2] == batches_pictures._BOUNDARY)
    block = heights[2] - heights[1]
    assert heights[5] - heights[1] == 4 * block > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"num_samples": 0}, "num_samples must be an int from 1 to 200, got 0"),
    ({"num_samples": 201}, "num_samples must be an int from 1 to 200"),
    ({"num_samples": 10.0}, "num_samples must be an int"),
    ({"batch_size": 0}, "batch_size must be an int from 1 to 64, got 0"),
    ({"batch_size": 65}, "batch_size must be an int from 1 to 64"),
    ({"batch_size": True}, "batch_size must be an int"),
    ({"epochs": 0}, "epochs must be an int from 1 to 10"),
    ({"epochs": 11}, "epochs must be an int from 1 to 10"),
    ({"drop_last": 1}, "drop_last must be True or False"),
    ({"shuffle": "yes"}, "shuffle must be True or False"),
    ({"seed": -1}, "seed must be an int of at least 0"),
])
def test_bad_arguments_raise_value_error(kwargs, message):
    """Check that impossible settings are refused with a clear ValueError"""
    with pytest.raises(ValueError, match=re.escape(message)):
        batch_explorer(**kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        batch_plan(**kwargs)
