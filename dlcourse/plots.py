"""Plotting helpers used throughout the course notebooks.

Every function returns the matplotlib Figure it drew on (or the Axes, when you pass ``ax=``)
and never calls ``plt.show()``. In a notebook, end the line with ``;`` (or assign the result)
so that the figure is not displayed twice.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

__all__ = [
    "plot_activation_functions",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_layer_histograms",
    "plot_training_curves",
    "show_images",
]


def _get_axes(ax: Axes | None, **subplots_kw: Any) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(**subplots_kw)
    return fig, ax


def _finish(fig: Figure, ax: Axes, given: bool) -> Figure | Axes:
    """Return the Axes the caller passed in, or tidy up and return our own Figure."""
    if given:
        return ax
    fig.tight_layout()
    return fig


def _grid(n: int, ncols: int, size: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A figure with at least n axes in rows of ncols; unused axes are hidden."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def _class_colors(k: int) -> np.ndarray:
    """k distinct RGBA colors (tab10 for up to 10 classes, viridis beyond)."""
    if k <= 10:
        return plt.get_cmap("tab10")(np.arange(k))
    return plt.get_cmap("viridis")(np.linspace(0, 1, k))


def plot_training_curves(
    history: Mapping[str, Sequence[float]], *, title: str | None = None, ax: Axes | None = None
) -> Figure | Axes:
    """Plot training curves, e.g. a History returned by ``dlcourse.training.train``.

    Series whose name contains "acc" (accuracy) go to a second panel; all other series
    (losses and other metrics) go to the first. Series of different lengths (per-step
    losses next to per-epoch metrics) are stretched onto the x range of the longest one.

    Inputs:
    - history: mapping name -> sequence of values, e.g.
      ``{"loss": [...], "val_loss": [...], "val_acc": [...]}``; one value per epoch (or step).
    - title: optional figure title.
    - ax: draw all curves on this Axes instead of creating a figure.

    Returns:
    - the Figure (one or two panels), or ``ax`` if it was given.
    """
    series = {name: np.asarray(v, dtype=float) for name, v in history.items() if len(v) > 0}
    if not series:
        raise ValueError("history contains no values to plot")
    n_max = max(len(v) for v in series.values())
    xlabel = "epoch" if all(len(v) == n_max for v in series.values()) else "step"
    acc = [name for name in series if "acc" in name.lower()]
    other = [name for name in series if name not in acc]
    groups = [g for g in (other, acc) if g]

    if ax is not None:
        fig, axes = ax.figure, [ax] * len(groups)
    else:
        fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
        axes = list(axes.flat)
    for panel, names in zip(axes, groups, strict=True):
        for name in names:
            values = series[name]
            x = np.arange(1, len(values) + 1) * (n_max / len(values))
            panel.plot(x, values, marker="o" if len(values) <= 30 else None, label=name)
        panel.set_xlabel(xlabel)
        shared = ax is not None and len(groups) == 2
        panel.set_ylabel("value" if shared else "accuracy" if names is acc else "loss")
        panel.grid(True, alpha=0.3)
        panel.legend()
    if title is not None:
        (ax.set_title if ax is not None else fig.suptitle)(title)
    return _finish(fig, axes[0], ax is not None)


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 200,
    ax: Axes | None = None,
    title: str | None = None,
    padding: float = 0.5,
) -> Figure | Axes:
    """Plot the decision regions of a 2-D classifier together with the data.

    ``predict`` is evaluated on a ``resolution x resolution`` grid covering the data. If it
    returns integer class labels (or scores of shape (M, C), reduced with argmax), the
    regions are colored by class; if it returns real-valued scores of shape (M,), the scores
    are shown as a filled contour with the level 0.5 (scores in [0, 1]) or 0 drawn as a line.

    Inputs:
    - predict: function mapping points (M, 2) to labels or scores (M,) (or scores (M, C)).
    - X: (N, 2) data points.
    - y: (N,) class labels of the points.
    - resolution: number of grid points per axis.
    - ax: draw on this Axes instead of creating a figure.
    - title: optional axes title.
    - padding: margin added around the data range.

    Returns:
    - the Figure, or ``ax`` if it was given.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"expected X: (N, 2) and y: (N,), got X: {X.shape} and y: {y.shape}")
    given = ax is not None
    fig, ax = _get_axes(ax, figsize=(6, 5))
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    z = np.asarray(predict(np.column_stack([xx.ravel(), yy.ravel()])))
    if z.ndim == 2 and z.shape[0] == xx.size:
        z = z.argmax(axis=1)
    if z.shape != (xx.size,):
        raise ValueError(f"predict returned shape {z.shape}, expected ({xx.size},)")

    is_labels = np.issubdtype(z.dtype, np.integer) or np.all(z == np.round(z))
    classes = np.unique(np.concatenate([y, z]) if is_labels else y)
    colors = _class_colors(len(classes))
    if is_labels:
        regions = np.searchsorted(classes, z).reshape(xx.shape)
        levels = np.arange(len(classes) + 1) - 0.5
        ax.contourf(xx, yy, regions, levels=levels, cmap=ListedColormap(colors), alpha=0.3)
    else:
        scores = z.reshape(xx.shape)
        ax.contourf(xx, yy, scores, levels=20, cmap="RdBu_r", alpha=0.4)
        level = 0.5 if z.min() >= 0 and z.max() <= 1 else 0.0
        if z.min() < level < z.max():
            ax.contour(xx, yy, scores, levels=[level], colors="k", linewidths=1.5)
    for c, color in zip(classes, colors, strict=True):
        if np.any(y == c):
            mask = y == c
            ax.scatter(X[mask, 0], X[mask, 1], color=color, edgecolors="k", s=25, label=str(c))
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(title="class", loc="best")
    if title is not None:
        ax.set_title(title)
    return _finish(fig, ax, given)


def show_images(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    predictions: Sequence[int] | np.ndarray | None = None,
    *,
    ncols: int = 10,
    class_names: Sequence[str] | None = None,
    cmap: str = "gray",
    title: str | None = None,
) -> Figure:
    """Show a grid of images with their labels and, optionally, predictions.

    With predictions, each title reads "true: ... / pred: ..." and is red when the
    prediction is wrong.

    Inputs:
    - images: (N, H, W) grayscale images, (N, H, W, 3) color images, or (N, H*W) flattened
      square images (e.g. MNIST rows of 784 pixels; H = W = sqrt(H*W)).
    - labels: (N,) optional integer labels.
    - predictions: (N,) optional predicted labels.
    - ncols: images per row.
    - class_names: optional names indexed by label.
    - cmap: colormap for grayscale images.
    - title: optional figure title.

    Returns:
    - the Figure.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(
                f"cannot infer a square image from {images.shape[1]} pixels per row; "
                "reshape images to (N, H, W)"
            )
        images = images.reshape(-1, side, side)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"expected images of shape (N, H, W) or (N, H*W), got {images.shape}")

    def name(label: Any) -> str:
        return str(class_names[int(label)]) if class_names is not None else str(label)

    fig, axes = _grid(len(images), ncols, size=(1.3, 1.6 if predictions is None else 1.9))
    for i, (ax, image) in enumerate(zip(axes, images, strict=True)):
        ax.imshow(image, cmap=cmap)
        ax.set_axis_off()
        if predictions is not None:
            wrong = labels is not None and labels[i] != predictions[i]
            text = f"pred: {name(predictions[i])}"
            if labels is not None:
                text = f"true: {name(labels[i])}\n{text}"
            ax.set_title(text, fontsize=8, color="red" if wrong else "black")
        elif labels is not None:
            ax.set_title(name(labels[i]), fontsize=8)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_layer_histograms(
    values: Mapping[str, np.ndarray],
    *,
    bins: int = 50,
    title: str | None = None,
    sharex: bool = False,
) -> Figure:
    """One histogram per layer (of activations, weights or gradients), mean and std in titles.

    Non-finite values (NaN, inf) are left out of the histogram and counted in the title.

    Inputs:
    - values: mapping layer name -> array of any shape (flattened), in layer order.
    - bins: number of histogram bins.
    - title: optional figure title.
    - sharex: use the same x range in every panel (makes shrinking activations visible).

    Returns:
    - the Figure, with up to 5 panels per row.
    """
    if not values:
        raise ValueError("values is empty: pass a mapping layer name -> array")
    fig, axes = _grid(len(values), 5, size=(3.2, 2.6))
    if sharex:
        for ax in axes[1:]:
            ax.sharex(axes[0])
    for ax, (name, v) in zip(axes, values.items(), strict=True):
        v = np.asarray(v, dtype=float).ravel()
        finite = v[np.isfinite(v)]
        ax.hist(finite, bins=bins, color="tab:blue", alpha=0.8)
        text = f"{name}\nmean {finite.mean():.3g}, std {finite.std():.3g}" if finite.size else name
        if finite.size < v.size:
            text += f" ({v.size - finite.size} non-finite)"
        ax.set_title(text, fontsize=9)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_activation_functions(
    functions: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    derivatives: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None,
    x: np.ndarray | None = None,
) -> Figure:
    """Plot activation functions and, optionally, their derivatives side by side.

    Inputs:
    - functions: mapping name -> elementwise function, e.g. ``{"relu": relu, "tanh": np.tanh}``.
    - derivatives: optional mapping name -> derivative, shown in a second panel. A function
      may return a scalar (e.g. ``lambda x: 1.0``); it is broadcast to the shape of x.
    - x: (P,) points to evaluate at; default 401 points in [-5, 5].

    Returns:
    - the Figure (one panel, or two with derivatives).
    """
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    panels = [(functions, "f(x)")] + ([(derivatives, "f'(x)")] if derivatives else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (funcs, ylabel) in zip(axes.flat, panels, strict=True):
        for name, f in funcs.items():
            ax.plot(x, np.broadcast_to(np.asarray(f(x), dtype=float), x.shape), label=name)
        ax.set(xlabel="x", ylabel=ylabel)
        ax.set_title("functions" if funcs is functions else "derivatives")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    normalize: bool = False,
) -> Figure | Axes:
    """Plot the confusion matrix: row = true class, column = predicted class.

    Inputs:
    - y_true: (N,) true integer labels in [0, K).
    - y_pred: (N,) predicted integer labels in [0, K).
    - class_names: optional (K,) names; K defaults to the largest label + 1.
    - ax: draw on this Axes instead of creating a figure.
    - normalize: divide each row by the number of samples of that true class, so that the
      diagonal shows the per-class recall.

    Returns:
    - the Figure, or ``ax`` if it was given. Cells are annotated when K <= 20.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(
            f"expected non-empty y_true, y_pred of equal shape (N,), got {y_true.shape} "
            f"and {y_pred.shape}"
        )
    labels = np.concatenate([y_true, y_pred])
    k = len(class_names) if class_names is not None else int(labels.max()) + 1
    if labels.min() < 0 or labels.max() >= k or np.any(labels != np.round(labels)):
        raise ValueError(f"labels must be integers in [0, {k})")
    cm = np.zeros((k, k))
    np.add.at(cm, (y_true.astype(int), y_pred.astype(int)), 1)
    if normalize:
        cm /= np.maximum(cm.sum(axis=1, keepdims=True), 1)

    given = ax is not None
    fig, ax = _get_axes(ax, figsize=(0.5 * k + 3, 0.5 * k + 2.5))
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45 if class_names is not None else 0, ha="right")
    ax.set_yticks(range(k), names)
    ax.set(xlabel="predicted", ylabel="true")
    if k <= 20:
        for i, j in np.ndindex(cm.shape):
            text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            color = "white" if cm[i, j] > cm.max() / 2 else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    return _finish(fig, ax, given)
