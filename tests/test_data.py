"""Tests for course.data: offline data sets with documented shapes and ranges."""

import pytest
import torch

from course import data


def test_load_eeg_is_four_standardised_channels():
    eeg = data.load_eeg()
    assert eeg.shape == (4, 800) and eeg.dtype == torch.float32
    assert torch.allclose(eeg.std(dim=1), torch.ones(4), atol=0.01)


@pytest.mark.parametrize("gray, channels", [(True, 1), (False, 3)])
def test_load_photo_is_channels_first_in_unit_range(gray, channels):
    photo = data.load_photo(gray=gray)
    assert photo.shape == (channels, 600, 512)
    assert 0.0 <= photo.min() and photo.max() <= 1.0


def test_load_digits_shapes_and_labels():
    images, labels = data.load_digits()
    assert images.shape == (1797, 1, 8, 8) and labels.shape == (1797,)
    assert set(labels.tolist()) == set(range(10))
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_moving_square_video_moves_one_pixel_per_frame():
    clip = data.moving_square_video(frames=3, size=8, square=2)
    assert clip.shape == (1, 3, 8, 8)
    assert clip[0, 0, 0:2, 0:2].sum() == 4 and clip[0, 1, 1:3, 1:3].sum() == 4
    assert clip.sum() == 3 * 4


def test_moving_square_video_rejects_a_square_larger_than_the_frame():
    with pytest.raises(ValueError, match="does not fit"):
        data.moving_square_video(size=4, square=5)


def test_split_digits_cuts_one_seeded_order_into_the_given_sizes_and_the_rest():
    X, labels, train, val, rest = data.split_digits(1000, 400)
    assert X.shape == (1797, 64) and labels.shape == (1797,)
    assert (len(train), len(val), len(rest)) == (1000, 400, 397)
    order = torch.cat([train, val, rest])
    assert torch.equal(order, torch.randperm(1797, generator=torch.Generator().manual_seed(0)))
    images, _ = data.load_digits()
    assert torch.equal(X[5], images[5].flatten())
    X_again, _, train_again, _ = data.split_digits(1300)
    assert torch.equal(train_again, order[:1300]) and torch.equal(X_again, X)
    _, _, other, _ = data.split_digits(1300, seed=1)
    assert not torch.equal(other, train_again)


@pytest.mark.parametrize("sizes", [(1798,), (1000, 900), (-1,)])
def test_split_digits_refuses_sizes_that_do_not_fit(sizes):
    with pytest.raises(ValueError, match="do not fit"):
        data.split_digits(*sizes)



def test_argument_errors_speak_korean_after_use_language_ko():
    """Check that the loaders' argument errors are Korean in the Korean edition and English by default"""
    from course.i18n import use_language

    with pytest.raises(ValueError, match=r"^square=5 does not fit in a 4x4 frame$"):
        data.moving_square_video(size=4, square=5)
    use_language("ko")
    with pytest.raises(ValueError, match=r"^square=5인 정사각형은 4x4 프레임에 들어가지 않습니다$"):
        data.moving_square_video(size=4, square=5)
    with pytest.raises(ValueError, match="frames는 1 이상이어야 하고 step은 음수가 아니어야 합니다"):
        data.moving_square_video(frames=0)
    with pytest.raises(ValueError, match=r"^sizes \(1798,\): 숫자 이미지 1797개에 맞지 않습니다$"):
        data.split_digits(1798)
