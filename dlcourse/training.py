"""The boring parts of a training loop: minibatches, a progress bar, a history of metrics.

The interesting part, one update step, stays in the lesson code and is passed to
:func:`train` as a function::

    def step(X_batch, y_batch):
        loss, grads = model_loss(params, X_batch, y_batch)
        for name in params:
            params[name] -= learning_rate * grads[name]
        return loss

    history = train(step, X_train, y_train, epochs=10, batch_size=64,
                    evaluate=lambda: {"val_acc": accuracy(params, X_val, y_val)})
    plot_training_curves(history);
"""

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
from tqdm.auto import tqdm

__all__ = ["History", "iterate_minibatches", "train"]


def iterate_minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    rng: int | np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Split a dataset into minibatches covering every sample exactly once.

    Inputs:
    - X: (N, ...) inputs.
    - y: (N, ...) targets, paired with X row by row.
    - batch_size: samples per batch; the last batch holds the remaining N % batch_size
      samples when N is not a multiple of batch_size.
    - shuffle: visit the samples in a random order (otherwise in order 0..N-1).
    - rng: seed or Generator for the shuffle; None gives a different order on every call.

    Returns:
    - an iterator of (X_batch, y_batch) with X_batch: (B, ...) and y_batch: (B, ...),
      B <= batch_size.
    """
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = np.random.default_rng(rng).permutation(len(X)) if shuffle else None
    return _batches(X, y, int(batch_size), order)


def _batches(
    X: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(X), batch_size):
        if order is None:
            yield X[start : start + batch_size], y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]


class History(Mapping[str, list[float]]):
    """Metrics recorded once per epoch, e.g. ``{"loss": [...], "val_acc": [...]}``.

    A read-only mapping name -> list of values, so it can be passed directly to
    ``dlcourse.plots.plot_training_curves``.

    Example::

        history = History()
        history.append(loss=0.9, val_acc=0.71)
        history.append(loss=0.5, val_acc=0.83)
        history["loss"]                   # [0.9, 0.5]
        history.best("val_acc", "max")    # 0.83
    """

    def __init__(self, data: Mapping[str, Iterable[float]] | None = None) -> None:
        """Start empty, or from a mapping name -> values."""
        self._data: dict[str, list[float]] = {}
        for name, values in (data or {}).items():
            self._data[name] = [float(v) for v in values]

    def append(self, **metrics: float) -> None:
        """Record one value per metric, e.g. ``history.append(loss=0.3, val_acc=0.9)``."""
        for name, value in metrics.items():
            self._data.setdefault(name, []).append(float(value))

    def __getitem__(self, name: str) -> list[float]:
        """The values of one metric (a copy)."""
        if name not in self._data:
            raise KeyError(f"no metric {name!r} in history; recorded: {sorted(self._data)}")
        return list(self._data[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def as_dict(self) -> dict[str, list[float]]:
        """A plain dict name -> list of values (a copy)."""
        return {name: list(values) for name, values in self._data.items()}

    def best(self, metric: str, mode: str = "min") -> float:
        """Best recorded value of a metric, ignoring NaN.

        Inputs:
        - metric: name of the metric, e.g. "val_loss".
        - mode: "min" for losses and errors, "max" for accuracies.

        Returns:
        - the smallest (mode="min") or largest (mode="max") value. Its epoch index is
          ``history[metric].index(value)``.
        """
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        values = [v for v in self[metric] if not math.isnan(v)]
        if not values:
            raise ValueError(f"metric {metric!r} has no recorded (non-NaN) values")
        return min(values) if mode == "min" else max(values)

    def __repr__(self) -> str:
        epochs = max((len(v) for v in self._data.values()), default=0)
        return f"History(epochs={epochs}, metrics={list(self._data)})"


def _as_loss(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"step(X_batch, y_batch) must return the batch loss as a float, "
            f"got {type(value).__name__}"
        ) from None


def train(
    step: Callable[[np.ndarray, np.ndarray], float],
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    seed: int = 0,
    evaluate: Callable[[], Mapping[str, float]] | None = None,
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Run minibatch training for a number of epochs and record the metrics.

    Each epoch visits the training set once in a new random order (reproducible through
    ``seed``) and calls ``step`` on every batch.

    Inputs:
    - step: ``step(X_batch, y_batch) -> loss`` performs one update (forward, backward,
      parameter update) on X_batch: (B, ...), y_batch: (B, ...) and returns the batch loss.
    - X: (N, ...) training inputs.
    - y: (N, ...) training targets.
    - epochs: number of passes over the training set.
    - batch_size: samples per batch.
    - seed: seed of the shuffling.
    - evaluate: optional ``evaluate() -> {"val_acc": ..., ...}`` called after every epoch;
      its metrics are recorded next to "loss" (so it must not return the key "loss").
    - progress: show a progress bar over all epochs x batches.
    - desc: label of the progress bar.

    Returns:
    - history: per epoch, "loss" (mean batch loss weighted by batch size) and the metrics
      of evaluate.

    Raises:
    - FloatingPointError: if a batch loss is NaN or infinite (usually a learning rate that
      is too large), naming the epoch and batch.
    """
    iterate_minibatches(X, y, batch_size, shuffle=False)  # validates the arguments
    n = len(X)
    if n == 0:
        raise ValueError("the training set is empty")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    n_batches = math.ceil(n / batch_size)
    rng = np.random.default_rng(seed)
    history = History()
    postfix: dict[str, str] = {}
    with tqdm(total=epochs * n_batches, desc=desc, disable=not progress, unit="batch") as bar:
        for epoch in range(1, epochs + 1):
            total, seen = 0.0, 0
            batches = iterate_minibatches(X, y, batch_size, shuffle=True, rng=rng)
            for b, (X_batch, y_batch) in enumerate(batches, start=1):
                loss = _as_loss(step(X_batch, y_batch))
                if not math.isfinite(loss):
                    raise FloatingPointError(
                        f"loss is {loss} at epoch {epoch} (of {epochs}), batch {b} "
                        f"(of {n_batches}): training diverged; try a smaller learning rate"
                    )
                total += loss * len(X_batch)
                seen += len(X_batch)
                postfix["loss"] = f"{total / seen:.4g}"
                bar.set_postfix(postfix, refresh=False)
                bar.update(1)
            metrics = dict(evaluate()) if evaluate is not None else {}
            if "loss" in metrics:
                raise ValueError(
                    "evaluate() returned the key 'loss', which train() uses for the "
                    "training loss; rename it, e.g. to 'val_loss'"
                )
            history.append(loss=total / seen, **metrics)
            postfix.update({name: f"{float(v):.4g}" for name, v in metrics.items()})
            bar.set_postfix(postfix)
    return history
