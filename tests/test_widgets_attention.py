"""Tests of the attention explorer: what it draws against the real model, headless."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from course.transformer import MAX_LEN, encode, trained_reverser
from course.widgets import attention_explorer
from course.widgets.attention import read_digits
from course.widgets.attention_pictures import CELL, PAD_LABEL, map_pixels, token_labels, weight_colours


@pytest.fixture(scope="module")
def explorer():
    made = attention_explorer("31415")
    yield made
    made.close()


def _cell(pixels, row, column):
    """The colour in the middle of cell (row, column) of a map picture, the label row and column included."""
    return pixels[row * CELL + CELL // 2, column * CELL + 2]


def test_the_maps_are_the_models_own_attention_weights(explorer):
    """Check that every drawn cell has the colour of the weight the trained model's layers return"""
    model = trained_reverser()[0]
    with torch.no_grad():
        _, maps = model(encode("31415"), return_attention=True)
    for index, (layer, head) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        weights = maps[layer][0, head]
        torch.testing.assert_close(explorer.maps[layer][head], weights)
        colours = np.round(weight_colours(weights.numpy()) * 255)
        pixels = explorer.pixels[index]
        for i in range(MAX_LEN):
            for j in range(MAX_LEN):
                assert np.abs(_cell(pixels, i + 1, j + 1).astype(int) - colours[i, j]).max() <= 1


def test_the_status_line_reports_the_models_answer(explorer):
    """Check that the status names the model's output and the reversed input, and counts right digits"""
    assert "reverses 31415 into 51413, 5 of 5 digits right" in explorer.message
    explorer.sequence.value = "12345678"
    assert "into 87654321, 8 of 8" in explorer.message
    explorer.sequence.value = "31415"


def test_the_mask_switches_change_the_weights_as_pytorch_says(explorer):
    """Check that the causal switch zeroes every later key and the padding switch lets padding keys in"""
    explorer.causal.value = True
    for weights in explorer.maps:
        assert (weights.triu(1) == 0).all()
    assert "causal mask on" in explorer.message
    explorer.causal.value = False
    assert (explorer.maps[0][..., 5:] == 0).all()
    explorer.padding_mask.value = False
    assert (explorer.maps[0][..., 5:] > 0).all()
    explorer.padding_mask.value = True


def test_an_example_fills_the_sequence_and_bad_text_is_refused(explorer):
    explorer.example.value = "7117"
    assert explorer.sequence.value == "7117" and explorer.example.value == ""
    assert "reverses 7117" in explorer.message
    explorer.sequence.value = "12a"
    assert "Only the digits" in explorer.message
    explorer.sequence.value = "31415"
    assert read_digits(" 1 2 ", 8) == ("12", "")
    assert read_digits("123456789", 8)[0] is None
    with pytest.raises(ValueError):
        attention_explorer("")


def test_pictures_are_shown_at_their_png_size(explorer):
    for image in explorer.images:
        width, height = Image.open(io.BytesIO(image.value)).size
        assert (image.layout.width, image.layout.height) == (f"{width}px", f"{height}px")
        assert width == height == (MAX_LEN + 1) * CELL + 1


def test_map_pixels_labels_tokens_and_colours_weights():
    labels = token_labels([3, 1, 10], pad=10)
    assert labels == ["3", "1", PAD_LABEL]
    weights = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    pixels = map_pixels(weights, labels)
    assert pixels.shape == (4 * CELL + 1, 4 * CELL + 1, 3)
    assert tuple(_cell(pixels, 1, 2)) == (255, 255, 255)                  # weight 0 is white
    assert _cell(pixels, 1, 1).sum() < _cell(pixels, 2, 1).sum() < 3 * 255  # more weight, darker
    label_cell = pixels[CELL + 1:2 * CELL, 1:CELL]
    assert label_cell.min() < 120                                         # a digit is written there
