"""Tests for course.runtime: how the topic notebooks run PyTorch."""

import torch

from course.runtime import use_one_thread


def test_use_one_thread_sets_one_thread_and_returns_the_count_before(two_threads):
    assert use_one_thread() == 2
    assert torch.get_num_threads() == 1
