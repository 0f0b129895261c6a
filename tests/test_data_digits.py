"""Tests for course.data.digit_picture: one handwritten digit, resized and stretched to [0, 1]."""

import pytest
import torch
import torch.nn.functional as F

from course import data


@pytest.mark.parametrize("size", [1, 8, 10, 32])
def test_digit_picture_is_square_and_spans_zero_to_one(size):
    """Check the shape, dtype and range, and that a 1 × 1 picture is flat zero rather than nan."""
    picture = data.digit_picture(size)
    assert picture.shape == (size, size) and picture.dtype == torch.float32
    if size == 1:
        assert picture.item() == 0.0
    else:
        assert picture.min().item() == 0.0 and picture.max().item() == pytest.approx(1.0)


def test_digit_picture_at_size_8_is_the_stretched_digit():
    """Check that at its own size the picture is digit 3 of load_digits, stretched to [0, 1]."""
    images, labels = data.load_digits()
    digit = images[3, 0]
    expected = (digit - digit.min()) / (digit.max() - digit.min())
    torch.testing.assert_close(data.digit_picture(8), expected)
    assert labels[3] == 3


def test_digit_picture_resizes_bilinearly_with_aligned_corners():
    """Check that a larger picture is F.interpolate's bilinear resize of the digit, corners included."""
    images, _ = data.load_digits()
    resized = F.interpolate(images[5:6], size=(13, 13), mode="bilinear", align_corners=True)[0, 0]
    picture = data.digit_picture(13, index=5)
    low, high = resized.min(), resized.max()
    torch.testing.assert_close(picture, (resized - low) / (high - low))
    assert torch.allclose(picture[[0, 0, -1, -1], [0, -1, 0, -1]],
                          data.digit_picture(8, index=5)[[0, 0, -1, -1], [0, -1, 0, -1]])


@pytest.mark.parametrize("kwargs, words", [
    ({"size": 0}, "size must be an int of at least 1"), ({"size": 2.0}, "size must be an int"),
    ({"size": True}, "size must be an int"), ({"index": -1}, "index must be an int from 0 to 1796"),
    ({"index": 1797}, "index must be an int from 0 to 1796"),
])
def test_digit_picture_rejects_bad_arguments(kwargs, words):
    """Check that a bad size or index raises ValueError naming the argument."""
    with pytest.raises(ValueError, match=words):
        data.digit_picture(**kwargs)


def test_digit_picture_is_exported():
    """Check that digit_picture is listed in course.data.__all__ next to the loaders."""
    assert "digit_picture" in data.__all__ and "load_digits" in data.__all__


@pytest.mark.parametrize("kwargs, words", [
    ({"size": 0}, "size는 1 이상의 int여야 합니다. 받은 값: 0"),
    ({"index": 1797}, "index는 0부터 1796까지의 int여야 합니다. 받은 값: 1797"),
])
def test_digit_picture_explains_bad_arguments_in_korean(kwargs, words):
    """Check that under use_language("ko") the argument errors are Korean, with the same values"""
    from course.i18n import use_language

    use_language("ko")
    with pytest.raises(ValueError, match=f"^{words}$"):
        data.digit_picture(**kwargs)
