"""Trusted grading: sandboxed execution, judging outside the sandbox, nbgrader gradebook."""
