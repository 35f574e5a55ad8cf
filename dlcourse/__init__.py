"""dlcourse: the toolkit students import in the course notebooks.

Modules (each with one job):

- ``dlcourse.data``: MNIST, Fashion-MNIST and scikit-learn's digits, split and scaled.
- ``dlcourse.gradcheck``: numerical gradients and relative errors; the layer contract.
- ``dlcourse.plots``: the plots lessons need.
- ``dlcourse.training``: minibatches, a training loop with a progress bar, a history.
- ``dlcourse.grading``: the helper used by hidden tests (compare with the reference).
- ``dlcourse.build``: generate ``release/`` and ``solutions/`` from ``course/``.

The toolkit contains no exercise solutions: those live in the ``course/`` notebooks
(the one source of truth) and are extracted into ``solutions/`` by ``dlcourse build``.
"""

__version__ = "0.1.0"
