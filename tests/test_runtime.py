"""Tests for course.runtime: how the topic notebooks run PyTorch."""

import torch

from course.runtime import use_one_thread


def test_use_one_thread_sets_one_thread_and_returns_the_count_before():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert use_one_thread() == 2
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
