"""Realistic buggy and correct alternative implementations of assignment 05's exercises.

Each entry maps a solution cell's grade_id to {variant name: the full source a student might
put in that cell}. The grading tests (tests/test_grading.py) fill a copy of the student
notebook with the reference solutions, replace one cell with a variant, autograde it with
nbgrader and check: a buggy variant loses points on that exercise and only that one; a
correct variant keeps full marks.

Every buggy variant gives a wrong result (or an error, or modifies its input, or leaves the
parameters wrong) on at least one visible or hidden case; the comment before each name says
where. The random exercises (the split, the dropout mask, log-uniform samples) are checked by
their properties on fixed seeds, so any correct random draw passes and no bug passes by luck.
The correct alternatives differ from the reference in formula, sampling call, loop structure
or copying style.
"""

from dlcourse.grader.variants import Misconception

BUGGY: dict[str, dict[str, str]] = {
    "train_val_test_split": {
        # no shuffling, the sets are blocks of rows in file order: the hidden block check
        # (N=100: the test set is rows 0..19)
        "no_shuffle": Misconception(
            "Data files are often ordered (by class, date or source): without a random "
            "permutation the three sets are blocks of that order, not representative samples of "
            "the data.",
            '''
def train_val_test_split(
    X, y, val_fraction=0.2, test_fraction=0.2, seed=0
):
    n = len(X)
    n_test, n_val = int(round(test_fraction * n)), int(round(val_fraction * n))
    X_test, y_test = X[:n_test], y[:n_test]
    X_val, y_val = X[n_test : n_test + n_val], y[n_test : n_test + n_val]
    X_train, y_train = X[n_test + n_val :], y[n_test + n_val :]
    return X_train, y_train, X_val, y_val, X_test, y_test
''',
        ),
        # X and y shuffled with two different permutations: the visible "each label stays with
        # its input" check
        "separate_permutations": Misconception(
            "X and y must be shuffled with one and the same permutation: two independent "
            "permutations pair inputs with the wrong labels, and the data no longer means "
            "anything.",
            '''
def train_val_test_split(
    X, y, val_fraction=0.2, test_fraction=0.2, seed=0
):
    rng = np.random.default_rng(seed)
    n = len(X)
    X, y = X[rng.permutation(n)], y[rng.permutation(n)]
    n_test, n_val = int(round(test_fraction * n)), int(round(val_fraction * n))
    return (X[n_test + n_val :], y[n_test + n_val :], X[n_test : n_test + n_val],
            y[n_test : n_test + n_val], X[:n_test], y[:n_test])
''',
        ),
        # the global np.random permutes, the seed is ignored: the hidden "the same seed must
        # give the same split" check
        "ignores_seed": Misconception(
            "Random draws must be reproducible: take them from a generator made from `seed`, not "
            "from the global np.random state, so that the same seed always gives the same result.",
            '''
def train_val_test_split(
    X, y, val_fraction=0.2, test_fraction=0.2, seed=0
):
    n = len(X)
    order = np.random.permutation(n)
    n_test, n_val = int(round(test_fraction * n)), int(round(val_fraction * n))
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return X[train], y[train], X[val], y[val], X[test], y[test]
''',
        ),
        # the two fractions swapped (validation set sized by test_fraction): the visible size
        # check (5, 3, 2 instead of 5, 2, 3)
        "fractions_swapped": Misconception(
            "Each set's size comes from its own fraction: round(val_fraction * N) validation and "
            "round(test_fraction * N) test samples; mixing them up gives sets of the wrong sizes.",
            '''
def train_val_test_split(
    X, y, val_fraction=0.2, test_fraction=0.2, seed=0
):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    n_val, n_test = int(round(test_fraction * n)), int(round(val_fraction * n))
    train = order[: n - n_val - n_test]
    val = order[n - n_val - n_test : n - n_test]
    test = order[n - n_test :]
    return X[train], y[train], X[val], y[val], X[test], y[test]
''',
        ),
        # sizes by int() (floor) instead of round(): the hidden N = 9 and N = 7 cases
        # (2.7 test samples round to 3, not 2)
        "floor_sizes": Misconception(
            "Set sizes are rounded to the nearest integer; int() truncates toward zero, so 2.7 "
            "samples become 2 instead of 3 and the sets get the wrong sizes.",
            '''
def train_val_test_split(X, y, val_fraction=0.2, test_fraction=0.2, seed=0):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_val = int(test_fraction * n), int(val_fraction * n)
    test, val = order[:n_test], order[n_test : n_test + n_val]
    train = order[n_test + n_val :]
    return X[train], y[train], X[val], y[val], X[test], y[test]
''',
        ),
    },
    "penalties": {
        # the biases are penalized too: the visible L2 penalty check (0.725 + 2.55)
        "l2_on_biases": Misconception(
            "Weight decay penalizes the weights only: biases just shift each unit and do not make "
            "the model more complex, so they get no penalty and a zero penalty gradient.",
            '''
def l2_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        penalty += 0.5 * reg * float(np.sum(value * value))
        grads[name] = reg * value
    return penalty, grads


def l1_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("W"):
            penalty += reg * float(np.sum(np.abs(value)))
            grads[name] = reg * np.sign(value)
        else:
            grads[name] = np.zeros_like(value)
    return penalty, grads
''',
        ),
        # L1 subgradient +1 at w = 0 (w >= 0 counted as positive): the visible L1 gradient
        # check (W1[1, 0] = 0 gets 0.1)
        "l1_subgradient_one_at_zero": Misconception(
            "At w = 0 the L1 subgradient is taken as 0, the sign of w: a weight that is exactly "
            "zero should stay there, and +1 pushes it away, against L1's sparsity.",
            '''
def l2_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("W"):
            penalty += 0.5 * reg * float(np.sum(value * value))
            grads[name] = reg * value
        else:
            grads[name] = np.zeros_like(value)
    return penalty, grads


def l1_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("W"):
            penalty += reg * float(np.sum(np.abs(value)))
            grads[name] = reg * np.where(value >= 0, 1.0, -1.0)
        else:
            grads[name] = np.zeros_like(value)
    return penalty, grads
''',
        ),
        # L2 penalty reg * sum(W^2) without the 1/2 while the gradient is reg * W: the visible
        # L2 penalty check (1.45 instead of 0.725)
        "l2_missing_half": Misconception(
            "The L2 penalty is reg / 2 * sum(W**2), whose gradient is reg * W; without the 1/2 "
            "the penalty is twice as large and no longer matches its gradient.",
            '''
def l2_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("W"):
            penalty += reg * float(np.sum(value**2))
            grads[name] = reg * value
        else:
            grads[name] = np.zeros_like(value)
    return penalty, grads


def l1_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("W"):
            penalty += reg * float(np.sum(np.abs(value)))
            grads[name] = reg * np.sign(value)
        else:
            grads[name] = np.zeros_like(value)
    return penalty, grads
''',
        ),
        # everything not starting with "b" is taken for a weight: the hidden "other names" case
        # (the batch-norm scale "gamma" is penalized)
        "not_b_is_weight": Misconception(
            'Only the parameters whose name starts with "W" are weights; treating everything that '
            "is not a bias as a weight also penalizes others, such as batch norm's `gamma`.",
            '''
def l2_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("b"):
            grads[name] = np.zeros_like(value)
        else:
            penalty += 0.5 * reg * float(np.sum(value * value))
            grads[name] = reg * value
    return penalty, grads


def l1_penalty(params, reg):
    penalty, grads = 0.0, {}
    for name, value in params.items():
        if name.startswith("b"):
            grads[name] = np.zeros_like(value)
        else:
            penalty += reg * float(np.sum(np.abs(value)))
            grads[name] = reg * np.sign(value)
    return penalty, grads
''',
        ),
    },
    "max_norm": {
        # one norm per layer (Frobenius norm of the whole matrix) instead of one per unit: the
        # visible check of column 0 (the whole matrix is scaled by 1 / 5.02)
        "per_layer_frobenius": Misconception(
            "The max-norm constraint holds for each unit separately: every column W[:, j] (one "
            "unit's incoming weights) is projected on its own, not the whole matrix by one norm.",
            '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if name.startswith("W"):
            norm = np.sqrt(np.sum(W * W))
            if norm > max_norm:
                W *= max_norm / norm
''',
        ),
        # norms of the rows (outgoing weights, axis=1) instead of the columns: the visible check
        # of column 1 (both rows have norm > 1, column 1 is shrunk)
        "per_row": Misconception(
            "A unit's incoming weights are a column W[:, j] of the (D_in, D_out) matrix; norms "
            "over the rows (axis=1) constrain each input's outgoing weights instead.",
            '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if name.startswith("W"):
            norms = np.linalg.norm(W, axis=1, keepdims=True)
            W *= np.minimum(1.0, max_norm / np.maximum(norms, 1e-12))
''',
        ),
        # every column rescaled to norm max_norm, the small ones scaled up: the visible check of
        # column 1 (norm 0.5 becomes 1)
        "scales_up_small_columns": Misconception(
            "Max-norm is a projection onto a ball: only columns whose norm exceeds max_norm are "
            "shrunk, and columns already inside the ball stay as they are, not stretched to it.",
            '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if name.startswith("W"):
            norms = np.linalg.norm(W, axis=0)
            W *= max_norm / np.maximum(norms, 1e-12)
''',
        ),
        # min(norm, c) / norm is 0 / 0 for a zero column: the hidden "a zero column" case (NaN)
        "zero_column_nan": Misconception(
            "A zero column has norm 0, and dividing by that norm gives 0 / 0 = NaN; such a column "
            "is inside the ball and must come out unchanged, so the division needs a guard.",
            '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if name.startswith("W"):
            norms = np.sqrt(np.sum(W**2, axis=0))
            with np.errstate(invalid="ignore"):
                W *= np.minimum(norms, max_norm) / norms
''',
        ),
        # W = W * scale rebinds the local name, the dict keeps the old matrix: the visible check
        # of column 0 (still [3, 4])
        "rebinds_local": Misconception(
            "`W = W * scale` makes a new array and only rebinds the local name; the matrix the "
            "dict holds is unchanged. Only an in-place operation modifies the caller's "
            "parameters.",
            '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if name.startswith("W"):
            norms = np.linalg.norm(W, axis=0)
            W = W * np.minimum(1.0, max_norm / np.maximum(norms, 1e-12))
''',
        ),
    },
    "dropout_forward": {
        # no rescaling, the kept units stay 1: the visible 1 / (1 - p) check
        "not_rescaled": Misconception(
            "Inverted dropout scales the kept units by 1/(1-p) during training, so that each "
            "unit's expected value is unchanged and nothing needs rescaling at test time.",
            '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if not training:
        return x, None
    mask = (np.random.default_rng(seed).random(x.shape) >= p).astype(float)
    return x * mask, (mask, p)
''',
        ),
        # the kept units divided by p instead of 1 - p: the visible 1 / (1 - p) check
        # (1 / 0.3 instead of 1 / 0.7)
        "rescaled_by_p": Misconception(
            "Kept units are divided by the keep probability 1 - p, not by the drop probability p: "
            "only 1/(1-p) keeps each unit's expected value equal to its input.",
            '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if not training:
        return x, None
    mask = (np.random.default_rng(seed).random(x.shape) >= p) / p
    return x * mask, (mask, p)
''',
        ),
        # dropout also in evaluation mode: the visible evaluation-mode check
        "active_in_eval": Misconception(
            "Dropout is applied only during training; in evaluation mode the layer is the "
            "identity, otherwise predictions become random and weaker.",
            '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    mask = (np.random.default_rng(seed).random(x.shape) >= p) / (1.0 - p)
    return x * mask, ((mask, p) if training else None)
''',
        ),
        # x *= mask modifies the caller's array: the visible "must not modify x" check
        "modifies_x_in_place": Misconception(
            "`x *= mask` writes into the caller's array; a layer's forward pass returns a new "
            "array and leaves its input unchanged, since other code may still use x.",
            '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if not training:
        return x, None
    mask = (np.random.default_rng(seed).random(x.shape) >= p) / (1.0 - p)
    x *= mask
    return x, (mask, p)
''',
        ),
        # p read as the keep probability (a fraction 1 - p is dropped): the visible dropped
        # fraction check (0.7 instead of 0.3)
        "p_is_keep_probability": Misconception(
            "Here p is the probability of dropping a unit, so a unit is kept when its uniform "
            "draw is at least p; reading p as the keep probability drops the wrong fraction.",
            '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if not training:
        return x, None
    mask = (np.random.default_rng(seed).random(x.shape) < p) / (1.0 - p)
    return x * mask, (mask, p)
''',
        ),
    },
    "dropout_backward": {
        # draws a new random mask from p instead of using the cached one: the hidden cases
        # (another mask; the "nothing dropped" case drops about 30% of its 2000 units, so it
        # fails whatever the draw, chance of passing 0.7^2000), usually the visible 2 x 2 check
        "regenerates_mask": Misconception(
            "The backward pass must use the mask of the forward pass, from the cache: a unit "
            "dropped in the forward pass gets zero gradient, and a fresh random mask picks other "
            "units.",
            '''
def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    _, p = cache
    keep = np.random.default_rng().random(dout.shape) >= p
    return dout * keep / (1.0 - p)
''',
        ),
        # the kept units' gradient is not rescaled by 1 / (1 - p): the visible check
        # ([[1, 0], [0, 4]] instead of [[2, 0], [0, 8]])
        "no_rescale": Misconception(
            "The gradient goes through the same operation as the forward pass, x * mask with the "
            "1/(1-p) factor in the mask, so the kept units' gradients are scaled by 1/(1-p) too.",
            '''
def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    mask, p = cache
    return dout * (mask > 0)
''',
        ),
        # divides by 1 - p again although the mask already holds 1 / (1 - p): the visible
        # check ([[4, 0], [0, 16]])
        "double_scaling": Misconception(
            "The cached mask already contains the 1/(1-p) factor; dividing by 1 - p again scales "
            "the gradient twice.",
            '''
def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    mask, p = cache
    return dout * mask / (1 - p)
''',
        ),
        # rescales by 1 / p instead of 1 / (1 - p): equal for p = 0.5 (the visible check),
        # wrong on the hidden cases with p = 0.1, 0.8 and the "nothing dropped" case (p = 0.3)
        "divides_by_p": Misconception(
            "The kept units were scaled by 1/(1-p) in the forward pass, so their gradient is "
            "scaled by 1/(1-p) as well, not by 1/p; the two agree only at p = 0.5.",
            '''
def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    mask, p = cache
    keep = mask != 0
    return dout * keep / p
''',
        ),
    },
    "early_stopping": {
        # returns the parameters after the last trained epoch, not those of the best one: the
        # visible w check (8 / 2^7 instead of 8 / 2^4 = 0.5)
        "returns_last_params": Misconception(
            "Early stopping returns the parameters of the best epoch (lowest validation loss), "
            "not those after the last epoch trained: the epochs after the best one overfit.",
            '''
def early_stopping(train_epoch, validation_loss, params: dict, max_epochs: int,
                   patience: int) -> tuple[dict, int, list]:
    best_loss, best_epoch, history = np.inf, 0, []
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        loss = float(validation_loss(params))
        history.append(loss)
        if loss < best_loss:
            best_loss, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            break
    best_params = {name: value.copy() for name, value in params.items()}
    return best_params, best_epoch, history
''',
        ),
        # dict(params) copies the dict but not the arrays, which train_epoch keeps updating in
        # place: the visible w check (the "best" w shrinks on with the later epochs)
        "shallow_copy_aliasing": Misconception(
            "`dict(params)` copies the dict but not the arrays in it; training updates those "
            "arrays in place, so the saved best parameters keep changing. Each array must be "
            "copied.",
            '''
def early_stopping(train_epoch, validation_loss, params: dict, max_epochs: int,
                   patience: int) -> tuple[dict, int, list]:
    best_loss, best_epoch, best_params, history = np.inf, 0, None, []
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        loss = float(validation_loss(params))
        history.append(loss)
        if loss < best_loss:
            best_loss, best_epoch = loss, epoch
            best_params = dict(params)
        elif epoch - best_epoch >= patience:
            break
    return best_params, best_epoch, history
''',
        ),
        # patience off by one (> instead of >=): trains one epoch too many, the visible
        # history check (epoch 8 with loss 1.0 is trained)
        "patience_off_by_one": Misconception(
            "Patience counts the epochs in a row without improvement: training stops as soon as "
            "`patience` such epochs have passed, not one epoch later.",
            '''
def early_stopping(train_epoch, validation_loss, params: dict, max_epochs: int,
                   patience: int) -> tuple[dict, int, list]:
    best_loss, best_epoch, best_params, history = np.inf, 0, None, []
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        loss = float(validation_loss(params))
        history.append(loss)
        if loss < best_loss:
            best_loss, best_epoch = loss, epoch
            best_params = {name: value.copy() for name, value in params.items()}
        elif epoch - best_epoch > patience:
            break
    return best_params, best_epoch, history
''',
        ),
        # a tie (<=) counts as an improvement: no tie in the visible losses, the hidden
        # plateau cases (best epoch the last of a plateau, training goes on too long)
        "ties_improve": Misconception(
            "Only a strict improvement counts: an epoch whose validation loss ties the best is "
            "not better, so it neither becomes the best epoch nor resets the patience count.",
            '''
def early_stopping(train_epoch, validation_loss, params: dict, max_epochs: int,
                   patience: int) -> tuple[dict, int, list]:
    best_loss, best_epoch, best_params, history = np.inf, 0, None, []
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        loss = float(validation_loss(params))
        history.append(loss)
        if loss <= best_loss:
            best_loss, best_epoch = loss, epoch
            best_params = {name: value.copy() for name, value in params.items()}
        elif epoch - best_epoch >= patience:
            break
    return best_params, best_epoch, history
''',
        ),
    },
    "grid_search_configs": {
        # the first name varies fastest: the visible configs[1] check ({"lr": 0.01, "reg": 0})
        "first_key_fastest": Misconception(
            "The configurations come in the order of nested loops with the first name outermost: "
            "the first name varies slowest and the last one fastest.",
            '''
def grid_search_configs(grid: dict) -> list[dict]:
    configs = [{}]
    for name, values in grid.items():
        configs = [{**config, name: value} for value in values for config in configs]
    return configs
''',
        ),
        # zip pairs the lists element by element instead of taking their product: the visible
        # count (2 combinations instead of 6)
        "zip_instead_of_product": Misconception(
            "A grid search tries every combination of the values, the Cartesian product of the "
            "lists; zip only pairs the i-th values of the lists.",
            '''
def grid_search_configs(grid: dict) -> list[dict]:
    names = list(grid)
    return [dict(zip(names, values)) for values in zip(*grid.values())]
''',
        ),
        # returns the tuples of itertools.product, not dicts: the visible configs[0] check
        "tuples_instead_of_dicts": Misconception(
            "Each configuration is a dict from hyperparameter name to value; bare tuples of "
            "values lose the names that say which value belongs to which hyperparameter.",
            '''
import itertools


def grid_search_configs(grid: dict) -> list[dict]:
    return list(itertools.product(*grid.values()))
''',
        ),
        # iterates over the names in sorted order, not in the grid's order: "lr" < "reg" in
        # the visible test, the hidden grids {"lr", "width", "p"} and {"b", "a"}
        "sorted_names": Misconception(
            "Keep the names in the grid's own order (dicts remember insertion order): sorting "
            "them changes which name varies slowest, and so the order of the configurations.",
            '''
import itertools


def grid_search_configs(grid: dict) -> list[dict]:
    names = sorted(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]
''',
        ),
    },
    "log_uniform": {
        # uniform in linear space: the visible median check (almost no sample below 1e-3)
        "linear_uniform": Misconception(
            "Log-uniform sampling draws the logarithm uniformly, so every decade gets as many "
            "samples; a uniform draw on [low, high] puts nearly all samples in the top decade.",
            '''
def log_uniform(low: float, high: float, size: int, seed: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=size)
''',
        ),
        # exponent range in log10 but np.exp to go back: the visible range check (samples in
        # [e^-5, e^-1], above 1e-1)
        "log10_then_exp": Misconception(
            "A logarithm and its inverse must use the same base: exponents drawn between "
            "log10(low) and log10(high) mapped back with exp land outside [low, high].",
            '''
def log_uniform(low: float, high: float, size: int, seed: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(np.log10(low), np.log10(high), size=size))
''',
        ),
        # draws from the global np.random, the seed is ignored: the visible "same seed, same
        # samples" check
        "ignores_seed": Misconception(
            "Random draws must be reproducible: take them from a generator made from `seed`, not "
            "from the global np.random state, so that the same seed always gives the same result.",
            '''
def log_uniform(low: float, high: float, size: int, seed: int | None = None) -> np.ndarray:
    return np.exp(np.random.uniform(np.log(low), np.log(high), size=size))
''',
        ),
        # returns the uniform logarithms themselves (np.exp forgotten): the visible range
        # check (negative samples)
        "returns_logarithms": Misconception(
            "The uniform draws are the logarithms of the samples; they must be mapped back with "
            "the exponential to land in [low, high].",
            '''
def log_uniform(low: float, high: float, size: int, seed: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(np.log(low), np.log(high), size=size)
''',
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "train_val_test_split": {
        # rng.shuffle of an index array, then np.split; train first in the permutation
        "shuffle_then_np_split": '''
def train_val_test_split(
    X, y, val_fraction=0.2, test_fraction=0.2, seed=0
):
    n = X.shape[0]
    idx = np.arange(n)
    np.random.default_rng(seed).shuffle(idx)
    n_val = int(round(val_fraction * n))
    n_test = int(round(test_fraction * n))
    train, val, test = np.split(idx, [n - n_val - n_test, n - n_test])
    return X[train], y[train], X[val], y[val], X[test], y[test]
''',
        # shuffle X and y once with the same permutation, then slice
        "shuffle_arrays_then_slice": '''
def train_val_test_split(
    X, y, val_fraction=0.2, test_fraction=0.2, seed=0
):
    perm = np.random.default_rng(seed).permutation(len(X))
    Xs, ys = X[perm], y[perm]
    n_val, n_test = round(val_fraction * len(X)), round(test_fraction * len(X))
    a, b = n_val, n_val + n_test
    return Xs[b:], ys[b:], Xs[:a], ys[:a], Xs[a:b], ys[a:b]
''',
    },
    "penalties": {
        # dict comprehensions and a sum over the weights
        "dict_comprehensions": '''
def l2_penalty(params, reg):
    weights = [v for k, v in params.items() if k.startswith("W")]
    penalty = float(reg / 2 * sum(np.sum(w**2) for w in weights))
    grads = {k: reg * v if k.startswith("W") else np.zeros_like(v) for k, v in params.items()}
    return penalty, grads


def l1_penalty(params, reg):
    weights = [v for k, v in params.items() if k.startswith("W")]
    penalty = float(reg * sum(np.abs(w).sum() for w in weights))
    grads = {
        k: reg * np.sign(v) if k.startswith("W") else 0 * v for k, v in params.items()
    }
    return penalty, grads
''',
    },
    "max_norm": {
        # np.linalg.norm(axis=0) and np.where, only the columns above the radius touched
        "linalg_norm_where": '''
def apply_max_norm(params, max_norm):
    for name in params:
        if name[0] == "W":
            W = params[name]
            norms = np.linalg.norm(W, axis=0)
            big = norms > max_norm
            W[:, big] = W[:, big] * (max_norm / norms[big])
''',
        # one column at a time
        "column_loop": '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if not name.startswith("W"):
            continue
        for j in range(W.shape[1]):
            norm = np.sqrt(np.dot(W[:, j], W[:, j]))
            if norm > max_norm:
                W[:, j] *= max_norm / norm
''',
    },
    "dropout_forward": {
        # a Bernoulli(1 - p) mask from rng.binomial
        "binomial_mask": '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if not training:
        return x, None
    rng = np.random.default_rng(seed)
    mask = rng.binomial(1, 1.0 - p, size=x.shape) / (1.0 - p)
    out = x * mask
    return out, (mask, p)
''',
        # a uniform draw compared with p, np.where for the mask
        "uniform_where": '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if training:
        u = np.random.default_rng(seed).uniform(0.0, 1.0, size=np.shape(x))
        mask = np.where(u < p, 0.0, 1.0 / (1.0 - p))
        return mask * x, (mask, p)
    return x, None
''',
    },
    "dropout_backward": {
        # multiplies by the cached mask through np.multiply, indexing the cache
        "np_multiply": '''
def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    return np.multiply(dout, cache[0])
''',
        # recomputes the scaling from the kept units and p
        "keep_over_one_minus_p": '''
def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    mask, p = cache
    keep = mask != 0
    return dout * keep / (1.0 - p)
''',
    },
    "early_stopping": {
        # a counter of epochs without improvement, copy.deepcopy of the parameters
        "bad_epoch_counter_deepcopy": '''
import copy


def early_stopping(train_epoch, validation_loss, params: dict, max_epochs: int,
                   patience: int) -> tuple[dict, int, list]:
    best_loss = float("inf")
    best_epoch = 0
    best_params = copy.deepcopy(params)
    history = []
    bad_epochs = 0
    for epoch in range(1, max_epochs + 1):
        train_epoch(params)
        loss = validation_loss(params)
        history.append(loss)
        if loss < best_loss:
            best_loss = loss
            best_epoch = epoch
            best_params = copy.deepcopy(params)
            bad_epochs = 0
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                break
    return best_params, best_epoch, history
''',
        # a while loop; the best epoch read from the history with np.argmin (first on ties)
        "while_loop_argmin": '''
def early_stopping(train_epoch, validation_loss, params: dict, max_epochs: int,
                   patience: int) -> tuple[dict, int, list]:
    history = []
    best_params = {}
    epoch = 0
    while epoch < max_epochs:
        epoch += 1
        train_epoch(params)
        history.append(float(validation_loss(params)))
        best_epoch = int(np.argmin(history)) + 1
        if best_epoch == epoch:
            best_params = {k: np.array(v, copy=True) for k, v in params.items()}
        if epoch - best_epoch >= patience:
            break
    return best_params, best_epoch, history
''',
    },
    "grid_search_configs": {
        # itertools.product over the value lists
        "itertools_product": '''
import itertools


def grid_search_configs(grid: dict) -> list[dict]:
    names = list(grid.keys())
    configs = []
    for values in itertools.product(*grid.values()):
        configs.append(dict(zip(names, values)))
    return configs
''',
        # recursion on the first name
        "recursive": '''
def grid_search_configs(grid: dict) -> list[dict]:
    if not grid:
        return [{}]
    first, *rest = grid
    tails = grid_search_configs({name: grid[name] for name in rest})
    return [{first: value, **tail} for value in grid[first] for tail in tails]
''',
    },
    "log_uniform": {
        # uniform exponent in base 10
        "base_10": '''
def log_uniform(low: float, high: float, size: int, seed: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 10 ** rng.uniform(np.log10(low), np.log10(high), size=size)
''',
        # low * (high / low) ** u with u uniform on [0, 1)
        "geometric_interpolation": '''
def log_uniform(low: float, high: float, size: int, seed: int | None = None) -> np.ndarray:
    u = np.random.default_rng(seed).random(size)
    return low * (high / low) ** u
''',
    },
}


# Issue 17: edges of the domain, and the order of the samples.
# the test set sliced from the end with negative indices: with test_fraction = 0,
# order[-0:] is the whole permutation (the hidden test_fraction = 0 case)
BUGGY["train_val_test_split"]["negative_slices_for_test"] = Misconception(
    "Slicing from the end with a negative start breaks at zero: `a[-0:]` is the whole array, not "
    "an empty one, so an empty test set (test_fraction = 0) takes every sample.",
    '''
def train_val_test_split(X, y, val_fraction=0.2, test_fraction=0.2, seed=0):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    n_val, n_test = round(val_fraction * n), round(test_fraction * n)
    train = order[: n - n_val - n_test]
    val = order[n - n_val - n_test : n - n_test]
    test = order[-n_test:]
    return X[train], y[train], X[val], y[val], X[test], y[test]
''',
)
# the training indices as "everything not held out" by np.setdiff1d, which sorts them: the
# training set comes back in file order (sorted by class or date in a real data set), the
# right samples but not shuffled: the hidden order check
BUGGY["train_val_test_split"]["train_set_in_file_order"] = Misconception(
    "The training set must be shuffled too: set operations such as np.setdiff1d return sorted "
    "indices, which puts the training samples back in file order.",
    '''
def train_val_test_split(X, y, val_fraction=0.2, test_fraction=0.2, seed=0):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    n_val, n_test = round(val_fraction * n), round(test_fraction * n)
    test, val = order[:n_test], order[n_test : n_test + n_val]
    train = np.setdiff1d(np.arange(n), np.concatenate([test, val]))
    return X[train], y[train], X[val], y[val], X[test], y[test]
''',
)
# Seed 0 is a seed: `if seed:` leaves the global generator unseeded for seed 0, so two calls
# with seed 0 give different masks / samples (the hidden seed-0 checks)
BUGGY["dropout_forward"]["seed_zero_is_no_seed"] = Misconception(
    "0 is a valid seed, but `if seed:` treats it as false, like no seed at all, so calls with "
    "seed 0 are not reproducible; only None means that no seed was given.",
    '''
def dropout_forward(x, p=0.5, training=True, seed=None):
    if not training:
        return x, None
    if seed:
        np.random.seed(seed)
    mask = (np.random.rand(*x.shape) >= p) / (1 - p)
    return x * mask, (mask, p)
''',
)
BUGGY["log_uniform"]["seed_zero_is_no_seed"] = Misconception(
    "0 is a valid seed, but `if seed:` treats it as false, like no seed at all, so calls with "
    "seed 0 are not reproducible; only None means that no seed was given.",
    '''
def log_uniform(low, high, size, seed=None):
    if seed:
        np.random.seed(seed)
    return np.exp(np.random.uniform(np.log(low), np.log(high), size=size))
''',
)
# Issue 17: a value exactly at a boundary. torch.renorm's max-norm: columns above the radius
# are scaled by max_norm / (norm + 1e-7), a relative error of 1e-7 / norm that only shows
# with a small radius (the hidden case with max_norm 5 * 2**-10)
BUGGY["max_norm"]["torch_renorm_eps"] = Misconception(
    "A column above the radius must end with norm exactly max_norm: an epsilon added to the norm "
    "leaves a relative error of eps / norm, which shows with small radii.",
    '''
def apply_max_norm(params, max_norm):
    for name, W in params.items():
        if name.startswith("W"):
            norms = np.linalg.norm(W, axis=0)
            W *= np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
''',
)
# Issue 17: the penalty is "a Python float"; summed with NumPy in the weights' precision it is
# a float32 scalar for float32 weights (values within the tolerance): the hidden type check
BUGGY["penalties"]["float32_penalty"] = Misconception(
    "The penalty must be a Python float: a NumPy sum over float32 weights stays a float32 scalar, "
    "with another type and less precision than the caller expects.",
    '''
def l2_penalty(params, reg):
    weights = [value for name, value in params.items() if name.startswith("W")]
    penalty = 0.5 * reg * sum(np.sum(W * W) for W in weights)
    grads = {name: reg * v if name.startswith("W") else np.zeros_like(v)
             for name, v in params.items()}
    return penalty, grads


def l1_penalty(params, reg):
    weights = [value for name, value in params.items() if name.startswith("W")]
    penalty = reg * sum(np.sum(np.abs(W)) for W in weights)
    grads = {name: reg * np.sign(v) if name.startswith("W") else np.zeros_like(v)
             for name, v in params.items()}
    return penalty, grads
''',
)
# the penalties summed in float64 and returned as NumPy float64 scalars, which are Python
# floats: the float32 type check must keep them
CORRECT["penalties"]["numpy_float64_sums"] = '''
def l2_penalty(params, reg):
    penalty = 0.5 * reg * sum(np.sum(np.square(v, dtype=np.float64))
                              for k, v in params.items() if k.startswith("W"))
    return penalty, {k: reg * v if k.startswith("W") else np.zeros_like(v)
                     for k, v in params.items()}


def l1_penalty(params, reg):
    penalty = reg * sum(np.sum(np.abs(v), dtype=np.float64)
                        for k, v in params.items() if k.startswith("W"))
    return penalty, {k: reg * np.sign(v) if k.startswith("W") else np.zeros_like(v)
                     for k, v in params.items()}
'''
