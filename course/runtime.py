"""How the topic notebooks run PyTorch."""

from __future__ import annotations

import torch

__all__ = ["use_one_thread"]


def use_one_thread() -> int:
    """Run PyTorch's CPU operations on one thread from now on; return how many it used before.

    The networks in these notebooks are small: each operation is over before a second thread has
    much to do, and on a shared machine (a Binder user gets one CPU) the threads mostly wait for
    each other. One thread trains them faster. Every topic notebook calls it in its first cell.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    return before
