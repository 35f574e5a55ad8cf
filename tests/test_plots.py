"""Tests for dlcourse.plots: each function draws the expected artists and returns its Figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlcourse.plots import (  # noqa: E402
    plot_activation_functions,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_layer_histograms,
    plot_training_curves,
    show_images,
)
from dlcourse.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def visible_axes(fig: Figure) -> list[Axes]:
    return [ax for ax in fig.axes if ax.get_visible()]


# --- plot_training_curves ---------------------------------------------------------------


def test_training_curves_split_losses_and_accuracies():
    history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "val_acc": [0.5, 0.7, 0.8]}
    fig = plot_training_curves(history, title="run 1")
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 1
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["loss", "val_loss"]
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    assert loss_ax.get_xlabel() == "epoch"
    assert fig._suptitle.get_text() == "run 1"


def test_training_curves_single_panel_without_accuracy_and_with_history():
    history = History()
    for loss in (0.9, 0.5, 0.3):
        history.append(loss=loss)
    fig = plot_training_curves(history)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1


def test_training_curves_on_given_axes_and_mixed_lengths():
    fig, ax = plt.subplots()
    out = plot_training_curves({"loss": np.linspace(1, 0, 100), "val_acc": [0.5, 0.9]}, ax=ax)
    assert out is ax and len(fig.axes) == 1 and len(ax.lines) == 2
    assert ax.lines[1].get_xdata()[-1] == pytest.approx(100)  # stretched onto the steps
    assert ax.get_xlabel() == "step"


def test_training_curves_rejects_empty_history():
    with pytest.raises(ValueError, match="no values"):
        plot_training_curves({"loss": []})


# --- plot_decision_boundary -------------------------------------------------------------


def blobs(k=3, n=20, seed=0):
    rng = np.random.default_rng(seed)
    centers = 3 * rng.standard_normal((k, 2))
    y = np.repeat(np.arange(k), n)
    return centers[y] + rng.standard_normal((k * n, 2)), y


def test_decision_boundary_with_labels():
    X, y = blobs()
    centers = np.stack([X[y == c].mean(axis=0) for c in range(3)])

    def predict(points):
        return np.argmin(((points[:, None, :] - centers) ** 2).sum(axis=2), axis=1)

    fig = plot_decision_boundary(predict, X, y, resolution=50, title="nearest center")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    # one filled contour + one scatter per class
    assert len(ax.collections) == 1 + 3
    assert sum(len(c.get_offsets()) for c in ax.collections[1:]) == len(X)
    assert ax.get_title() == "nearest center"


def test_decision_boundary_with_probabilities_and_scores_matrix():
    X, y = blobs(k=2)
    fig, ax = plt.subplots()
    out = plot_decision_boundary(lambda p: 1 / (1 + np.exp(-p[:, 0])), X, y, resolution=30, ax=ax)
    assert out is ax
    assert len(ax.collections) == 2 + 2  # filled contour, 0.5 level line, two classes

    fig = plot_decision_boundary(lambda p: np.column_stack([p[:, 0], -p[:, 0]]), X, y)
    assert len(fig.axes[0].collections) == 1 + 2


def test_decision_boundary_validates_shapes():
    X, y = blobs()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(lambda p: p[:, 0], X[:, :1], y)
    with pytest.raises(ValueError, match="predict returned shape"):
        plot_decision_boundary(lambda p: p[:5, 0], X, y, resolution=10)


# --- show_images ------------------------------------------------------------------------


def test_show_images_flattened_mnist_rows():
    images = np.random.default_rng(0).random((12, 784))
    labels = np.arange(12) % 10
    predictions = labels.copy()
    predictions[[1, 5]] = 0
    fig = show_images(images, labels, predictions, ncols=5, title="samples")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 15 and len(visible_axes(fig)) == 12
    assert sum(len(ax.images) for ax in fig.axes) == 12
    assert fig.axes[0].images[0].get_array().shape == (28, 28)
    red = [ax for ax in fig.axes[:12] if ax.title.get_color() == "red"]
    assert len(red) == 2
    assert fig.axes[1].get_title() == "true: 1\npred: 0"


def test_show_images_with_class_names_and_no_predictions():
    images = np.zeros((3, 8, 8))
    fig = show_images(images, labels=[0, 2, 1], class_names=["cat", "dog", "bird"])
    assert [ax.get_title() for ax in fig.axes] == ["cat", "bird", "dog"]


def test_show_images_rejects_non_square_rows():
    with pytest.raises(ValueError, match="square"):
        show_images(np.zeros((2, 10)))


# --- plot_layer_histograms --------------------------------------------------------------


def test_layer_histograms_one_panel_per_layer_with_stats():
    rng = np.random.default_rng(0)
    values = {f"layer {i}": rng.standard_normal((64, 32)) * 0.5**i for i in range(7)}
    values["layer 6"][0, 0] = np.nan
    fig = plot_layer_histograms(values, bins=20, title="activations", sharex=True)
    assert len(visible_axes(fig)) == 7
    for ax, name in zip(fig.axes, values, strict=False):
        assert len(ax.patches) == 20
        assert ax.get_title().startswith(name)
    assert f"std {values['layer 0'].std():.3g}" in fig.axes[0].get_title()
    assert "1 non-finite" in fig.axes[6].get_title()


def test_layer_histograms_rejects_empty_mapping():
    with pytest.raises(ValueError):
        plot_layer_histograms({})


# --- plot_activation_functions ----------------------------------------------------------


def test_activation_functions_with_and_without_derivatives():
    functions = {"relu": lambda x: np.maximum(x, 0), "tanh": np.tanh, "identity": lambda x: x}
    derivatives = {"relu": lambda x: (x > 0).astype(float), "identity": lambda x: 1.0}
    fig = plot_activation_functions(functions, derivatives)
    left, right = fig.axes
    assert len(left.lines) == 3 and len(right.lines) == 2
    np.testing.assert_array_equal(right.lines[1].get_ydata(), np.ones(401))

    fig = plot_activation_functions(functions, x=np.linspace(-1, 1, 11))
    assert len(fig.axes) == 1 and len(fig.axes[0].lines[0].get_xdata()) == 11


# --- plot_confusion_matrix --------------------------------------------------------------


def test_confusion_matrix_counts_and_annotations():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    fig = plot_confusion_matrix(y_true, y_pred, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # matrix + colorbar
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    assert len(ax.texts) == 9
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]


def test_confusion_matrix_normalized_on_given_axes():
    fig, ax = plt.subplots()
    out = plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], ax=ax, normalize=True)
    assert out is ax
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.5, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="integers in"):
        plot_confusion_matrix([0, 3], [0, 1], class_names=["a", "b"])
