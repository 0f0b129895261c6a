"""Tests of course.cnn: the digits CNN, its training loop and the helpers of 11_cnn_transfer."""

import pytest
import torch
from torch import nn

from course.cnn import accuracy, digit_images, digits_cnn, few_per_class, train_cnn, trained_digits_cnn


def test_digits_cnn_has_named_layers_and_maps_digits_to_scores():
    """Check the layer names, the output shape and that a seed fixes the initial weights"""
    model = digits_cnn(num_classes=5)
    assert [name for name, _ in model.named_children()] == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "dropout", "flatten", "fc"]
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 5)
    torch.testing.assert_close(digits_cnn(seed=4).conv1.weight, digits_cnn(seed=4).conv1.weight)
    assert not torch.equal(digits_cnn(seed=4).conv1.weight, digits_cnn(seed=5).conv1.weight)


def test_seeded_construction_leaves_the_global_generator_alone():
    """Check that digits_cnn(seed=...) does not move torch's global random state"""
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    digits_cnn(seed=9)
    torch.testing.assert_close(torch.rand(3), expected)


def test_digit_images_and_few_per_class():
    """Check the images' shape, the split and that few_per_class picks per_class of each class"""
    images, labels, train_idx, val_idx = digit_images()
    assert images.shape == (1797, 1, 8, 8) and len(train_idx) == 1300 and len(val_idx) == 497
    few = few_per_class(labels, train_idx, range(5, 10), 3, seed=1)
    assert len(few) == 15 and set(few.tolist()) <= set(train_idx.tolist())
    assert torch.bincount(labels[few], minlength=10).tolist() == [0] * 5 + [3] * 5
    torch.testing.assert_close(few, few_per_class(labels, train_idx, range(5, 10), 3, seed=1))


def test_train_cnn_learns_reproducibly_and_only_trainable_parameters():
    """Check that training improves accuracy, repeats exactly, and leaves frozen parameters alone"""
    images, labels, train_idx, val_idx = digit_images()
    runs = []
    for _ in range(2):
        model = digits_cnn()
        model.conv1.requires_grad_(False)
        before = model.conv1.weight.clone()
        history = train_cnn(model, images, labels, train_idx[:300], val_idx[:100], epochs=2, progress=False)
        torch.testing.assert_close(model.conv1.weight, before)
        runs.append(history)
    assert runs[0] == runs[1]
    assert [row["epoch"] for row in runs[0]] == [1, 2] and runs[0][-1]["val_acc"] > 0.3
    assert not model.training


def test_accuracy_keeps_the_training_flag():
    """Check that accuracy measures in eval mode and restores the flag"""
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10)).train()
    value = accuracy(model, torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long))
    assert model.training and 0.0 <= value <= 1.0


def test_trained_digits_cnn_is_cached():
    """Check that the explorer's default model is trained once"""
    assert trained_digits_cnn() is trained_digits_cnn()


def test_few_per_class_and_the_progress_bar_speak_korean(capsys):
    """Check few_per_class's error and train_cnn's bar: English by default, Korean after use_language("ko")"""
    from course.i18n import use_language

    images, labels, train_idx, val_idx = digit_images()
    with pytest.raises(ValueError, match=r"^only \d+ images of class 3, asked for 5000$"):
        few_per_class(labels, train_idx, [3], 5000)
    train_cnn(digits_cnn(), images, labels, train_idx[:32], val_idx[:16], epochs=1)
    english = capsys.readouterr().err
    assert "training" in english and "train=" in english and "val=" in english
    use_language("ko")
    with pytest.raises(ValueError, match=r"^클래스 3의 이미지는 \d+개뿐인데 5000개를 요청했습니다$"):
        few_per_class(labels, train_idx, [3], 5000)
    train_cnn(digits_cnn(), images, labels, train_idx[:32], val_idx[:16], epochs=1)
    korean = capsys.readouterr().err
    assert "학습" in korean and "학습=" in korean and "검증=" in korean and "training" not in korean
    train_cnn(digits_cnn(), images, labels, train_idx[:32], val_idx[:16], epochs=1, desc="pretraining on 0-4")
    assert "pretraining on 0-4" in capsys.readouterr().err
