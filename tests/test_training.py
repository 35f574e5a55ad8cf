"""Tests for dlcourse.training: minibatches, History and the train() loop."""

import math

import numpy as np
import pytest

from dlcourse.training import History, iterate_minibatches, train

# --- iterate_minibatches ----------------------------------------------------------------


@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1), (0, 2)])
def test_every_sample_exactly_once_and_pairs_kept(n, batch_size):
    X = np.arange(n).reshape(n, 1) * np.ones((1, 2))
    y = 10 * np.arange(n)
    batches = list(iterate_minibatches(X, y, batch_size, rng=0))
    assert len(batches) == math.ceil(n / batch_size)
    seen = np.concatenate([xb[:, 0] for xb, _ in batches]) if batches else np.array([])
    np.testing.assert_array_equal(np.sort(seen), np.arange(n))
    for xb, yb in batches:
        assert len(xb) == len(yb) <= batch_size
        np.testing.assert_array_equal(10 * xb[:, 0], yb)


def test_last_batch_is_smaller():
    sizes = [len(xb) for xb, _ in iterate_minibatches(np.zeros((10, 3)), np.zeros(10), 3)]
    assert sizes == [3, 3, 3, 1]


def order(**kwargs):
    X = np.arange(20)
    return np.concatenate([xb for xb, _ in iterate_minibatches(X, X, 6, **kwargs)])


def test_shuffle_is_deterministic_for_a_seed():
    np.testing.assert_array_equal(order(rng=3), order(rng=3))
    assert not np.array_equal(order(rng=3), order(rng=4))
    np.testing.assert_array_equal(order(rng=np.random.default_rng(3)), order(rng=3))
    assert not np.array_equal(order(rng=3), np.arange(20))


def test_no_shuffle_keeps_order():
    np.testing.assert_array_equal(order(shuffle=False), np.arange(20))


def test_minibatch_argument_errors_are_raised_immediately():
    with pytest.raises(ValueError, match="same length"):
        iterate_minibatches(np.zeros(5), np.zeros(4), 2)
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="batch_size"):
            iterate_minibatches(np.zeros(5), np.zeros(5), bad)


# --- History ----------------------------------------------------------------------------


def test_history_records_and_reports_best():
    history = History()
    for loss, acc in [(0.9, 0.6), (0.4, 0.8), (0.5, 0.75)]:
        history.append(loss=loss, val_acc=acc)
    assert history["loss"] == [0.9, 0.4, 0.5]
    assert history.best("loss") == 0.4
    assert history.best("val_acc", mode="max") == 0.8
    assert set(history) == {"loss", "val_acc"} and len(history) == 2
    assert history.as_dict() == {"loss": [0.9, 0.4, 0.5], "val_acc": [0.6, 0.8, 0.75]}
    assert repr(history) == "History(epochs=3, metrics=['loss', 'val_acc'])"


def test_history_is_read_only_through_its_views_and_validates():
    history = History({"loss": [1.0, float("nan"), 0.5]})
    history["loss"].append(99.0)
    history.as_dict()["loss"].append(99.0)
    assert history["loss"][-1] == 0.5 and len(history["loss"]) == 3
    assert history.best("loss") == 0.5  # NaN ignored
    with pytest.raises(ValueError, match="mode"):
        history.best("loss", mode="lowest")
    with pytest.raises(KeyError, match="val_acc"):
        history.best("val_acc")


# --- train ------------------------------------------------------------------------------


def linear_regression(seed=0, n=200, d=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.5 + 0.01 * rng.standard_normal(n)
    return X, y


def make_sgd_step(d, lr=0.1):
    params = {"w": np.zeros(d), "b": 0.0}

    def step(X_batch, y_batch):
        err = X_batch @ params["w"] + params["b"] - y_batch
        params["w"] -= lr * 2 * X_batch.T @ err / len(X_batch)
        params["b"] -= lr * 2 * err.mean()
        return np.mean(err**2)

    return step, params


def test_train_reduces_the_loss_of_linear_regression():
    X, y = linear_regression()
    step, params = make_sgd_step(3)

    def evaluate():
        return {"val_mse": float(np.mean((X @ params["w"] + params["b"] - y) ** 2))}

    history = train(step, X, y, epochs=5, batch_size=16, evaluate=evaluate, progress=False)
    assert isinstance(history, History)
    assert len(history["loss"]) == len(history["val_mse"]) == 5
    assert history["loss"][-1] < history["loss"][0] / 10
    assert history["val_mse"][-1] < 1e-3
    assert history.best("val_mse") == history["val_mse"][-1]


def test_train_is_deterministic_for_a_seed():
    X, y = linear_regression()

    def run(seed):
        step, params = make_sgd_step(3)
        return train(step, X, y, epochs=2, batch_size=32, seed=seed, progress=False).as_dict()

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_epoch_loss_is_weighted_by_batch_size():
    history = train(
        lambda xb, yb: float(len(xb)),
        np.zeros(10),
        np.zeros(10),
        epochs=1,
        batch_size=4,
        progress=False,
    )
    assert history["loss"] == [pytest.approx((4 * 4 + 4 * 4 + 2 * 2) / 10)]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_diverging_loss_raises_naming_epoch_and_batch(bad):
    calls = []

    def step(xb, yb):
        calls.append(1)
        return bad if len(calls) == 6 else 1.0  # batch 2 of epoch 2 (4 batches per epoch)

    with pytest.raises(FloatingPointError, match=r"epoch 2 \(of 3\), batch 2 \(of 4\)"):
        train(step, np.zeros(13), np.zeros(13), epochs=3, batch_size=4, progress=False)


def test_progress_false_prints_nothing(capsys):
    X, y = linear_regression(n=20)
    step, _ = make_sgd_step(3)
    train(step, X, y, epochs=2, batch_size=5, evaluate=lambda: {"acc": 0.5}, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_shows_description(capsys):
    X, y = linear_regression(n=20)
    step, _ = make_sgd_step(3)
    train(step, X, y, epochs=1, batch_size=5, desc="fitting")
    assert "fitting" in capsys.readouterr().err


def test_train_explains_common_mistakes():
    X, y = np.zeros(8), np.zeros(8)
    with pytest.raises(TypeError, match="must return the batch loss"):
        train(lambda xb, yb: None, X, y, epochs=1, batch_size=4, progress=False)
    with pytest.raises(ValueError, match="val_loss"):
        train(
            lambda xb, yb: 1.0,
            X,
            y,
            epochs=1,
            batch_size=4,
            progress=False,
            evaluate=lambda: {"loss": 0.3},
        )
    with pytest.raises(ValueError, match="batch_size"):
        train(lambda xb, yb: 1.0, X, y, epochs=1, batch_size=0, progress=False)
