"""Tests of the feature-map explorer: its pictures are the CNN's real activations, its controls redraw."""


import ipywidgets as widgets
import numpy as np
import pytest
import torch
from widgethelpers import png_size

from course.cnn import digit_images, digits_cnn
from course.widgets import feature_map_explorer
from course.widgets.feature_maps_pictures import (
    GAP,
    activations,
    digit_pixels,
    map_layers,
    map_tiles,
    scaled,
    tile_origin,
)


@pytest.fixture(scope="module")
def model():
    return digits_cnn(seed=3).eval()


@pytest.fixture(scope="module")
def digits():
    images, labels, _, val_idx = digit_images()
    return images[val_idx], labels[val_idx]


def test_activations_are_the_models_own_outputs_layer_by_layer(model, digits):
    """Check that activations gives each child's output and the model's scores at the end"""
    x = digits[0][4:5]
    outputs = activations(model, x)
    assert list(outputs) == [name for name, _ in model.named_children()]
    with torch.no_grad():
        expected = model.pool1(model.relu1(model.conv1(x)))
        torch.testing.assert_close(outputs["pool1"], expected)
        torch.testing.assert_close(outputs["fc"], model(x))


def test_activations_restore_the_training_flag_and_check_the_shape(model, digits):
    """Check that a model in training mode stays in training mode and a batch of two is refused"""
    model.train()
    activations(model, digits[0][:1])
    assert model.training
    model.eval()
    with pytest.raises(ValueError, match="shape"):
        activations(model, digits[0][:2])


def test_map_layers_are_the_four_dimensional_outputs(model):
    """Check that the layers offered are those before Flatten"""
    assert map_layers(model) == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "dropout"]


def test_each_tile_is_its_channel_scaled_to_its_own_range(model, digits):
    """Check every tile's pixels against the channel it shows, blocks of cell x cell pixels"""
    maps = activations(model, digits[0][7:8])["conv2"][0]          # (16, 4, 4)
    cell, columns = 5, 8
    tiles = map_tiles(maps, cell, columns)
    assert tiles.shape == (2 * 4 * cell + GAP, 8 * 4 * cell + 7 * GAP, 3) and tiles.dtype == np.uint8
    for channel in (0, 5, 15):
        top, left = tile_origin(channel, columns, 4 * cell)
        m = maps[channel]
        expected = np.round(((m - m.min()) / (m.max() - m.min())).numpy() * 255).astype(np.uint8)
        np.testing.assert_array_equal(tiles[top:top + 4 * cell:cell, left:left + 4 * cell:cell, 0], expected)


def test_a_flat_map_is_black_and_the_digit_is_drawn_as_it_is():
    """Check the two edge cases of the scaling: a constant map, and the input's grey levels"""
    assert (scaled(torch.zeros(2, 3, 3)) == 0).all()
    image = torch.linspace(0, 1, 64).view(1, 1, 8, 8)
    pixels = digit_pixels(image, 3)
    assert pixels.shape == (24, 24, 3) and pixels[0, 0, 0] == 0 and pixels[-1, -1, 0] == 255


def test_explorer_redraws_for_every_digit_and_layer_at_native_size(model, digits):
    """Check that moving the controls redraws the maps of that layer, at the PNG's own pixel size"""
    explorer = feature_map_explorer(model, index=2, layer="conv1")
    assert "conv1 outputs (1, 8, 8, 8)" in explorer.message
    explorer.layer.value = "pool2"
    torch.testing.assert_close(explorer.maps, activations(model, digits[0][2:3])["pool2"][0])
    assert "16 feature maps of 2 × 2" in explorer.message
    explorer.index.value = 9
    assert explorer.message.startswith(f"digit 9 (label {int(digits[1][9])})")
    for image in (explorer.input_image, explorer.maps_image):
        width, height = png_size(image)
        assert (image.layout.width, image.layout.height) == (f"{width}px", f"{height}px")
    assert explorer.maps_image.layout.width <= "999px" and png_size(explorer.maps_image)[0] <= 700
    assert isinstance(explorer.box, widgets.VBox)
    explorer.close()


def test_explorer_refuses_unknown_settings(model):
    """Check that a layer without feature maps and an index out of range are refused"""
    with pytest.raises(ValueError):
        feature_map_explorer(model, layer="fc")
    with pytest.raises(ValueError):
        feature_map_explorer(model, index=10_000)
