"""One math thread: the grader's own numpy and torch work alongside other processes.

Grading runs several workers, each beside a sandboxed kernel, on few cores; torch's and the
BLAS libraries' default of one thread per core then makes them fight for the cores (the known
bugs of assignment 06 took 7 times longer with two threads than with one on a busy machine).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from threadpoolctl import threadpool_limits


@contextlib.contextmanager
def one_math_thread() -> Iterator[None]:
    """Inside the block, numpy's BLAS and torch (if imported) compute on one thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def use_one_math_thread() -> None:
    """From now on, in this process (a grading worker), numpy's BLAS and torch use one
    thread."""
    import torch

    torch.set_num_threads(1)
    threadpool_limits(limits=1)
