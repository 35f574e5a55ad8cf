"""Realistic buggy and correct alternative implementations of assignment 04's exercises.

Each entry maps a solution cell's grade_id to {variant name: the full source a student might
put in that cell}. The grading tests (tests/test_grading.py) fill a copy of the student
notebook with the reference solutions, replace one cell with a variant, autograde it with
nbgrader and check: a buggy variant loses points on that exercise and only that one; a
correct variant keeps full marks.

Every buggy variant gives a wrong result (or an error, or modifies its input, or leaves the
batch-norm state or the gradient dict wrong) on at least one visible or hidden case; the
comment before each name says where. None of them depends on chance: the initializations are
checked statistically on fixed seeds, and a variant that ignores the seed fails the
deterministic "same seed, same weights" check. The correct alternatives differ from the
reference in formula, sampling call, order of operations or in-place style (a clipping step
may replace the dict's entries: the contract is the dict's contents after the call), and
agree with it within the grading tolerance in float64 and float32.
"""

from dlcourse.grader.variants import Misconception

BUGGY: dict[str, dict[str, str]] = {
    "xavier": {
        # std = gain / sqrt(fan_in) (LeCun's scale, fan_out forgotten): the visible std check
        # (300 x 100: sqrt(1/300) instead of sqrt(2/400), ratio 0.82)
        "fan_in_only": Misconception(
            "Xavier initialization balances the forward and the backward pass: its variance is 2 / "
            "(fan_in + fan_out), using both fans. 1 / fan_in alone is LeCun's initialization.",
            '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    std = gain * np.sqrt(1.0 / fan_in)
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_in, fan_out))
    bound = np.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
        # the uniform bound is the std itself (no sqrt(3)): the visible uniform std check
        # (the std is 1/sqrt(3) of the expected one)
        "uniform_bound_is_std": Misconception(
            "A uniform distribution on [-a, a] has standard deviation a / sqrt(3), so the bound "
            "that gives the required std is sqrt(3) times it; using the std itself as the bound "
            "makes the weights too small.",
            '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    if distribution == "uniform":
        return rng.uniform(-std, std, size=(fan_in, fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))
''',
        ),
        # torch's layout (fan_out, fan_in): the visible shape check (100, 300)
        "torch_layout_shape": Misconception(
            "In this course a layer computes x @ W, so W has shape (fan_in, fan_out); PyTorch "
            "stores its weights the other way round, (fan_out, fan_in).",
            '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_out, fan_in))
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_out, fan_in))
''',
        ),
        # draws from the global np.random, the seed is ignored: the visible "same seed, same
        # weights" check (two calls never give the same 30 x 20 matrix)
        "ignores_seed": Misconception(
            "The seed makes the initialization reproducible: drawing from NumPy's global generator "
            "ignores it, so the same seed gives different weights on every call.",
            '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    if distribution == "normal":
        return np.random.normal(0.0, std, size=(fan_in, fan_out))
    bound = np.sqrt(3.0) * std
    return np.random.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
        # the gain scales the variance, not the std: the hidden cases with gain 5/3, 0.5 and 2
        # (the visible tests use gain 1)
        "gain_scales_variance": Misconception(
            "The gain multiplies the standard deviation, std = gain * sqrt(2 / (fan_in + "
            "fan_out)), so the variance grows with gain squared; multiplying the variance by the "
            "gain gives the wrong scale whenever gain is not 1.",
            '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    var = gain * 2.0 / (fan_in + fan_out)
    std = np.sqrt(var)
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_in, fan_out))
    bound = np.sqrt(3.0 * var)
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
    },
    "kaiming": {
        # gain 1 for ReLU (the factor 2 forgotten): the visible std check (ratio 1/sqrt(2))
        "relu_gain_one": Misconception(
            "A ReLU zeroes half of its inputs and so halves the signal's variance: Kaiming "
            "initialization compensates with the gain sqrt(2), giving variance 2 / fan. With gain "
            "1 the activations shrink layer after layer.",
            '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    if nonlinearity == "leaky_relu":
        gain = np.sqrt(1.0 / (1.0 + negative_slope**2))
    else:
        gain = 1.0
    fan = fan_in if mode == "fan_in" else fan_out
    std = gain / np.sqrt(fan)
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_in, fan_out))
    bound = np.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
        # leaky-ReLU gain sqrt(2 / (1 + a)) instead of sqrt(2 / (1 + a^2)): the hidden leaky
        # cases with a = 0.5 and a = 0.2 (a = 0 and a = 1 agree, the visible tests use ReLU)
        "leaky_gain_without_square": Misconception(
            "A leaky ReLU with slope a keeps a fraction (1 + a**2) / 2 of the variance, so its "
            "gain is sqrt(2 / (1 + a**2)): the slope enters squared, since variances scale with "
            "the square of a factor.",
            '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    gains = {"relu": np.sqrt(2.0), "leaky_relu": np.sqrt(2.0 / (1.0 + negative_slope)),
             "linear": 1.0}
    fan = fan_in if mode == "fan_in" else fan_out
    std = gains[nonlinearity] / np.sqrt(fan)
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_in, fan_out))
    bound = np.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
        # fan_in and fan_out swapped (torch's (out, in) layout read as ours): the visible std
        # check (400 x 100, fan_in mode: sqrt(2/100) instead of sqrt(2/400))
        "fan_mode_swapped": Misconception(
            "W has shape (fan_in, fan_out): mode fan_in preserves the variance of the forward pass "
            "and divides by the number of inputs, fan_in; swapping the fans (as for PyTorch's "
            "(out, in) layout) scales by the wrong one.",
            '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    gains = {"relu": np.sqrt(2.0), "leaky_relu": np.sqrt(2.0 / (1.0 + negative_slope**2)),
             "linear": 1.0}
    fan = fan_out if mode == "fan_in" else fan_in
    std = gains[nonlinearity] / np.sqrt(fan)
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_in, fan_out))
    bound = np.sqrt(3.0) * std
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
        # the uniform bound is the std (no sqrt(3)): passes the visible bound check, fails the
        # hidden uniform cases (std 1/sqrt(3) too small)
        "uniform_bound_is_std": Misconception(
            "A uniform distribution on [-a, a] has standard deviation a / sqrt(3), so the bound "
            "that gives the required std is sqrt(3) times it; using the std itself as the bound "
            "makes the weights too small.",
            '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    gains = {"relu": np.sqrt(2.0), "leaky_relu": np.sqrt(2.0 / (1.0 + negative_slope**2)),
             "linear": 1.0}
    fan = fan_in if mode == "fan_in" else fan_out
    std = gains[nonlinearity] / np.sqrt(fan)
    if distribution == "normal":
        return rng.normal(0.0, std, size=(fan_in, fan_out))
    return rng.uniform(-std, std, size=(fan_in, fan_out))
''',
        ),
        # draws from the global np.random, the seed is ignored: the visible "same seed, same
        # weights" check
        "ignores_seed": Misconception(
            "The seed makes the initialization reproducible: drawing from NumPy's global generator "
            "ignores it, so the same seed gives different weights on every call.",
            '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    gains = {"relu": np.sqrt(2.0), "leaky_relu": np.sqrt(2.0 / (1.0 + negative_slope**2)),
             "linear": 1.0}
    fan = fan_in if mode == "fan_in" else fan_out
    std = gains[nonlinearity] / np.sqrt(fan)
    if distribution == "normal":
        return np.random.randn(fan_in, fan_out) * std
    bound = np.sqrt(3.0) * std
    return np.random.uniform(-bound, bound, size=(fan_in, fan_out))
''',
        ),
    },
    "deep_forward_backward": {
        # the sigmoid's derivative taken at the output, sigma(h)(1 - sigma(h)) instead of
        # h(1 - h): the hidden sigmoid cases (the visible tests use relu and tanh)
        "sigmoid_derivative_at_output": Misconception(
            "The sigmoid's derivative is sigma(z) * (1 - sigma(z)), and the stored activation h "
            "already is sigma(z): it is h * (1 - h). Applying the sigmoid to h again evaluates the "
            "derivative at the wrong point.",
            '''
def deep_forward_backward(X, weights, activation, dout):
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    activations = []
    h = X
    for W in weights:
        z = h @ W
        if activation == "sigmoid":
            h = sigmoid(z)
        elif activation == "tanh":
            h = np.tanh(z)
        else:
            h = np.maximum(z, 0.0)
        activations.append(h)
    grads = [None] * len(weights)
    dh = dout
    for l in reversed(range(len(weights))):
        h = activations[l]
        if activation == "sigmoid":
            dz = dh * sigmoid(h) * (1.0 - sigmoid(h))
        elif activation == "tanh":
            dz = dh * (1.0 - h**2)
        else:
            dz = dh * (h > 0)
        h_prev = X if l == 0 else activations[l - 1]
        grads[l] = h_prev.T @ dz
        dh = dz @ weights[l].T
    return activations, grads
''',
        ),
        # the activation's derivative forgotten (backprop as if the network were linear): the
        # visible dW_1 (relu)
        "missing_activation_derivative": Misconception(
            "The chain rule passes the gradient through each activation: dL/dz is dL/dh times the "
            "activation's derivative. Leaving it out backpropagates as if the network were linear.",
            '''
def deep_forward_backward(X, weights, activation, dout):
    f = {"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh,
         "relu": lambda z: np.maximum(z, 0.0)}[activation]
    activations = []
    h = X
    for W in weights:
        h = f(h @ W)
        activations.append(h)
    grads = [None] * len(weights)
    dh = dout
    for l in range(len(weights) - 1, -1, -1):
        h_prev = X if l == 0 else activations[l - 1]
        grads[l] = h_prev.T @ dh
        dh = dh @ weights[l].T
    return activations, grads
''',
        ),
        # gradients appended while walking backwards and never reversed (dW_L first): the
        # visible grads[1]
        "gradients_in_reverse_order": Misconception(
            "Backpropagation visits the layers from last to first, but grads[l] must be the "
            "gradient of weights[l]: collecting them in the order they are computed puts the last "
            "layer's gradient first.",
            '''
def deep_forward_backward(X, weights, activation, dout):
    activations = []
    h = X
    for W in weights:
        z = h @ W
        if activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-z))
        elif activation == "tanh":
            h = np.tanh(z)
        else:
            h = np.maximum(z, 0.0)
        activations.append(h)
    grads = []
    dh = dout
    for l in range(len(weights) - 1, -1, -1):
        h = activations[l]
        if activation == "sigmoid":
            dz = dh * h * (1.0 - h)
        elif activation == "tanh":
            dz = dh * (1.0 - h * h)
        else:
            dz = dh * (h > 0)
        h_prev = X if l == 0 else activations[l - 1]
        grads.append(h_prev.T @ dz)
        dh = dz @ weights[l].T
    return activations, grads
''',
        ),
        # activations = [X, h_1, ..., h_L] (L + 1 arrays; the gradients are right): the visible
        # length check
        "activations_include_X": Misconception(
            "activations holds the outputs of the L layers, h_1 to h_L, one per weight matrix; the "
            "input X is not a layer's activation and is not part of that list.",
            '''
def deep_forward_backward(X, weights, activation, dout):
    activations = [X]
    for W in weights:
        z = activations[-1] @ W
        if activation == "sigmoid":
            activations.append(1.0 / (1.0 + np.exp(-z)))
        elif activation == "tanh":
            activations.append(np.tanh(z))
        else:
            activations.append(np.maximum(z, 0.0))
    grads = [None] * len(weights)
    dh = dout
    for l in range(len(weights), 0, -1):
        h = activations[l]
        if activation == "sigmoid":
            dz = dh * h * (1.0 - h)
        elif activation == "tanh":
            dz = dh * (1.0 - h * h)
        else:
            dz = dh * (h > 0)
        grads[l - 1] = activations[l - 1].T @ dz
        dh = dz @ weights[l - 1].T
    return activations, grads
''',
        ),
        # the ReLU mask taken on the output, h >= 0, which is always true: the visible dW_1
        # (relu; the gradient flows through the dead units)
        "relu_mask_on_output_ge_0": Misconception(
            "After a ReLU every output is >= 0, so a mask h >= 0 is always true and lets the "
            "gradient through inactive units; the ReLU's derivative is 1 only where the unit is "
            "active (its output is positive).",
            '''
def deep_forward_backward(X, weights, activation, dout):
    activations = []
    h = X
    for W in weights:
        z = h @ W
        if activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-z))
        elif activation == "tanh":
            h = np.tanh(z)
        else:
            h = np.maximum(z, 0.0)
        activations.append(h)
    grads = [None] * len(weights)
    dh = dout
    for l in range(len(weights) - 1, -1, -1):
        h = activations[l]
        if activation == "sigmoid":
            dz = dh * h * (1.0 - h)
        elif activation == "tanh":
            dz = dh * (1.0 - h * h)
        else:
            dz = dh * (h >= 0)
        h_prev = X if l == 0 else activations[l - 1]
        grads[l] = h_prev.T @ dz
        dh = dz @ weights[l].T
    return activations, grads
''',
        ),
        # derivative 1 at the kink: the mask z >= 0 instead of z > 0 (h > 0), on the hidden case
        # whose first layer has z exactly 0 for nonzero inputs
        "relu_mask_z_ge_0": Misconception(
            "At exactly z = 0 the ReLU's derivative is taken as 0, the frameworks' convention: a "
            "unit whose input is exactly 0 is inactive and passes no gradient, so it must not "
            "count as active.",
            '''
def deep_forward_backward(X, weights, activation, dout):
    activations, zs = [], []
    h = X
    for W in weights:
        z = h @ W
        zs.append(z)
        if activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-z))
        elif activation == "tanh":
            h = np.tanh(z)
        else:
            h = np.maximum(z, 0.0)
        activations.append(h)
    grads = [None] * len(weights)
    dh = dout
    for l in range(len(weights) - 1, -1, -1):
        h = activations[l]
        if activation == "sigmoid":
            dz = dh * h * (1.0 - h)
        elif activation == "tanh":
            dz = dh * (1.0 - h * h)
        else:
            dz = dh * (zs[l] >= 0)
        h_prev = X if l == 0 else activations[l - 1]
        grads[l] = h_prev.T @ dz
        dh = dz @ weights[l].T
    return activations, grads
''',
        ),
    },
    "standardize": {
        # the test set standardized with its own statistics: the visible constant-feature test
        # value (0 instead of > 1e5)
        "test_with_own_statistics": Misconception(
            "Test data is transformed with the training set's mean and variance: the model learned "
            "on that scale, and statistics of the test set itself would leak information and shift "
            "the inputs differently.",
            '''
def standardize(X_train, X_test, eps=1e-3):
    def scale(X):
        return (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps)
    return scale(X_train), scale(X_test)
''',
        ),
        # the unbiased variance (ddof=1): the visible feature 0 (variance 4 instead of 8/3)
        "unbiased_variance": Misconception(
            "Standardization uses the biased variance, the mean of the squared deviations (divided "
            "by N): that gives the standardized training features a variance of exactly 1 (up to "
            "eps); dividing by N - 1 does not.",
            '''
def standardize(X_train, X_test, eps=1e-3):
    mean = X_train.mean(axis=0)
    std = np.sqrt(X_train.var(axis=0, ddof=1) + eps)
    return (X_train - mean) / std, (X_test - mean) / std
''',
        ),
        # eps added to the std, sqrt(var) + eps: the hidden cases (eps 1e-3 ... 0.5; the visible
        # test uses eps = 1e-12)
        "eps_outside_sqrt": Misconception(
            "eps is added to the variance, inside the root, sqrt(var + eps): adding it to the "
            "standard deviation gives a different scale whenever eps is not negligible.",
            '''
def standardize(X_train, X_test, eps=1e-3):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0) + eps
    return (X_train - mean) / std, (X_test - mean) / std
''',
        ),
        # statistics per sample (axis=1) instead of per feature: the visible feature 0
        "statistics_over_axis_1": Misconception(
            "Each feature (column) is standardized with its own mean and variance over the "
            "training samples; statistics over each sample's features (axis 1) mix different "
            "features together.",
            '''
def standardize(X_train, X_test, eps=1e-3):
    mean = X_train.mean(axis=1, keepdims=True)
    std = np.sqrt(X_train.var(axis=1, keepdims=True) + eps)
    return (X_train - mean) / std, (X_test - mean.mean()) / std.mean()
''',
        ),
        # standardizes X_train in place (the values are right): the visible "must not modify
        # X_train" check
        "modifies_X_train_in_place": Misconception(
            "In-place operations like `-=` on `X_train` change the caller's data: the function "
            "must return new arrays and leave its inputs unchanged.",
            '''
def standardize(X_train, X_test, eps=1e-3):
    mean = X_train.mean(axis=0)
    std = np.sqrt(X_train.var(axis=0) + eps)
    X_train -= mean
    X_train /= std
    return X_train, (X_test - mean) / std
''',
        ),
    },
    "batchnorm_forward": {
        # normalizes with the unbiased batch variance (the one the running average uses): the
        # visible feature 0 (variance 4 instead of 8/3)
        "normalizes_with_unbiased_variance": Misconception(
            "Batch normalization normalizes with the biased batch variance (divided by N); only "
            "the running variance, an estimate of the population variance, is updated with the "
            "unbiased one.",
            '''
def batchnorm_forward(x, gamma, beta, state, training=True, momentum=0.1, eps=1e-5):
    if not training:
        x_hat = (x - state["running_mean"]) / np.sqrt(state["running_var"] + eps)
        return gamma * x_hat + beta, None
    mean = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    state["running_mean"] = (1 - momentum) * state["running_mean"] + momentum * mean
    state["running_var"] = (1 - momentum) * state["running_var"] + momentum * var
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
        # the running variance updated with the biased batch variance: the visible running_var
        # ([1.1667, 1.9667] instead of [1.3, 2.5])
        "running_var_biased": Misconception(
            "The running variance estimates the population variance, so it is updated with the "
            "unbiased batch variance (N/(N-1) times the biased one); normalization itself uses the "
            "biased one.",
            '''
def batchnorm_forward(x, gamma, beta, state, training=True, momentum=0.1, eps=1e-5):
    if not training:
        x_hat = (x - state["running_mean"]) / np.sqrt(state["running_var"] + eps)
        return gamma * x_hat + beta, None
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    state["running_mean"] = (1 - momentum) * state["running_mean"] + momentum * mean
    state["running_var"] = (1 - momentum) * state["running_var"] + momentum * var
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
        # evaluation mode still normalizes with the batch's statistics (and leaves the state
        # alone): passes the visible one-row evaluation (x_hat = 0 either way), fails the hidden
        # evaluation steps with N >= 2
        "eval_uses_batch_statistics": Misconception(
            "In evaluation mode batch norm normalizes with the running mean and variance: the "
            "output for an input must not depend on the other inputs of its batch, and a batch may "
            "hold a single example.",
            '''
def batchnorm_forward(x, gamma, beta, state, training=True, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    out = gamma * x_hat + beta
    if not training:
        return out, None
    state["running_mean"] = (1 - momentum) * state["running_mean"] + momentum * mean
    state["running_var"] = (1 - momentum) * state["running_var"] + momentum * var * n / (n - 1)
    return out, (x_hat, gamma, std)
''',
        ),
        # evaluation mode normalizes with the running statistics but then updates them with the
        # batch's: the visible "must not change the running statistics" (a one-row batch: nan)
        "updates_running_stats_in_eval": Misconception(
            "The running statistics are learned in training mode only: evaluating the model must "
            "not change its state, so evaluation mode leaves the running mean and variance as they "
            "are.",
            '''
def batchnorm_forward(x, gamma, beta, state, training=True, momentum=0.1, eps=1e-5):
    batch_mean = x.mean(axis=0)
    batch_var = x.var(axis=0)
    if training:
        mean, var = batch_mean, batch_var
    else:
        mean, var = state["running_mean"], state["running_var"]
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    unbiased = x.var(axis=0, ddof=1)
    state["running_mean"] = (1 - momentum) * state["running_mean"] + momentum * batch_mean
    state["running_var"] = (1 - momentum) * state["running_var"] + momentum * unbiased
    return gamma * x_hat + beta, ((x_hat, gamma, std) if training else None)
''',
        ),
        # the momentum convention reversed (Keras-style decay 0.1): the visible running_mean
        # ([2.7, 3.6] instead of [0.3, 0.4])
        "momentum_convention_reversed": Misconception(
            "Here, as in PyTorch, momentum is the weight of the new batch in the running averages, "
            "running = (1 - momentum) * running + momentum * batch; Keras's momentum is the weight "
            "of the old value instead.",
            '''
def batchnorm_forward(x, gamma, beta, state, training=True, momentum=0.1, eps=1e-5):
    if not training:
        x_hat = (x - state["running_mean"]) / np.sqrt(state["running_var"] + eps)
        return gamma * x_hat + beta, None
    n = x.shape[0]
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    state["running_mean"] = momentum * state["running_mean"] + (1 - momentum) * mean
    state["running_var"] = momentum * state["running_var"] + (1 - momentum) * var * n / (n - 1)
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
    },
    "batchnorm_backward": {
        # the mean terms missing, dx = dout * gamma / std (as if mean and variance were
        # constants): the visible "dx sums to 0"
        "missing_mean_terms": Misconception(
            "The batch mean and variance depend on every input of the batch, so the gradient flows "
            "through them too; treating them as constants keeps only the direct path dout * gamma "
            "/ std.",
            '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = dout * gamma / std
    return dx, dgamma, dbeta
''',
        ),
        # dgamma = sum(dout), x_hat forgotten: the visible dgamma
        "dgamma_without_x_hat": Misconception(
            "out = gamma * x_hat + beta, so the gradient of gamma is dout times x_hat, summed over "
            "the batch; the plain sum of dout is the gradient of beta.",
            '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = dout.sum(axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
    return dx, dgamma, dbeta
''',
        ),
        # only the mean term, the variance's dependence on x forgotten: the visible numerical
        # gradient check (dx still sums to 0)
        "missing_variance_term": Misconception(
            "The variance depends on x too: besides the direct path and the one through the mean, "
            "the gradient has a term through the variance, which is why dx involves x_hat.",
            '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=0)) / std
    return dx, dgamma, dbeta
''',
        ),
        # the variance's derivative divided by N - 1 (the unbiased variance) although the
        # forward pass uses the biased one: the visible numerical gradient check
        "variance_gradient_over_N_minus_1": Misconception(
            "The backward pass differentiates the forward pass as it is: batch norm normalizes "
            "with the biased variance (divided by N), so its derivative divides by N too, not by N "
            "- 1.",
            '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, std = cache
    n = dout.shape[0]
    xc = x_hat * std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * std**-3
    dmean = -np.sum(dx_hat, axis=0) / std
    dx = dx_hat / std + dvar * 2.0 * xc / (n - 1) + dmean / n
    return dx, dgamma, dbeta
''',
        ),
        # gamma forgotten in dx (dout instead of dout * gamma): the visible numerical gradient
        # check (gamma = [1, 0.5, -2])
        "dx_without_gamma": Misconception(
            "The gradient reaching x_hat is dout times gamma, since out = gamma * x_hat + beta; "
            "leaving gamma out of dx ignores the scale the layer applies.",
            '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0)) / std
    return dx, dgamma, dbeta
''',
        ),
    },
    "layernorm_forward": {
        # normalizes each feature over the batch (batch norm): the visible row 0, every hidden case
        "normalizes_over_axis_0": Misconception(
            "Layer normalization normalizes each example (row) over its own features, not each "
            "feature over the batch as batch norm does; so it works the same for any batch size.",
            '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0, keepdims=True)
    std = np.sqrt(x.var(axis=0, keepdims=True) + eps)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
        # std without keepdims, reshaped only for the division: std has shape (N,) in the cache
        # (the visible cache check, every hidden case)
        "std_without_keepdims": Misconception(
            "The cached std is one value per row, shape (N, 1), so that it broadcasts against (N, "
            "D) arrays in the backward pass; a flat (N,) array broadcasts along the wrong axis.",
            '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1) + eps)
    x_hat = (x - mean) / std[:, None]
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
        # unbiased variance (ddof=1): the visible row 0 (variance 4 instead of 8/3)
        "unbiased_variance": Misconception(
            "Layer normalization uses the biased variance of each row (divided by D), as PyTorch "
            "does: the normalized row then has variance 1 (up to eps); dividing by D - 1 does not.",
            '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + eps)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
        # eps added to the std instead of the variance: passes the visible test (eps = 1e-12),
        # fails the hidden cases with eps = 1e-2
        "eps_outside_sqrt": Misconception(
            "eps is added to the variance, inside the root, sqrt(var + eps): adding it to the "
            "standard deviation gives a different normalization whenever eps is not negligible.",
            '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True)) + eps
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, (x_hat, gamma, std)
''',
        ),
        # caches the variance instead of the std (same shape (N, 1)): passes the visible test,
        # the hidden cases compare the cache
        "caches_variance": Misconception(
            "The cache holds the standard deviation sqrt(var + eps), the value x_hat was divided "
            "by; the backward pass relies on it, and the variance has the same shape but a "
            "different meaning.",
            '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True) + eps
    x_hat = (x - mean) / np.sqrt(var)
    return gamma * x_hat + beta, (x_hat, gamma, var)
''',
        ),
    },
    "layernorm_backward": {
        # the mean terms over the batch (the batch-norm formula): the visible row sums of dx
        "means_over_axis_0": Misconception(
            "In layer norm each row is normalized with its own mean and std, so the gradient's "
            "mean terms are taken over the features of each row (axis 1), not over the batch as in "
            "batch norm.",
            '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=0, keepdims=True) - x_hat * (g * x_hat).mean(axis=0, keepdims=True)) / std
    return dx, dgamma, dbeta
''',
        ),
        # dgamma and dbeta per row, not summed over the batch: shape (N, D) (visible shape check)
        "dgamma_dbeta_not_summed": Misconception(
            "gamma and beta are shared by every row, so their gradients add up the contributions "
            "of all rows: they are summed over the batch and have shape (D,), like the parameters.",
            '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout
    dgamma = dout * x_hat
    g = dout * gamma
    dx = (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta
''',
        ),
        # forgets the mean of g (the gradient through the mean): the visible row sums of dx
        "missing_mean_term": Misconception(
            "Each row's mean depends on all of its entries, so the gradient also flows through the "
            "mean: dx has a term for it, and without it the rows of dx do not sum to zero.",
            '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = (g - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta
''',
        ),
        # forgets the variance term: rows of dx still sum to 0, the visible numerical gradient fails
        "missing_variance_term": Misconception(
            "Each row's variance depends on its entries too: besides the path through the mean, "
            "the gradient has a term through the variance, which is why dx involves x_hat.",
            '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta
''',
        ),
        # dx without gamma (dout instead of dout * gamma): the visible numerical gradient
        "dx_forgets_gamma": Misconception(
            "The gradient reaching x_hat is dout times gamma, since out = gamma * x_hat + beta; "
            "leaving gamma out of dx ignores the scale the layer applies.",
            '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = (dout - dout.mean(axis=1, keepdims=True)
          - x_hat * (dout * x_hat).mean(axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta
''',
        ),
    },
    "residual_forward": {
        # no shortcut: out = F(x) (the visible out)
        "forgets_shortcut": Misconception(
            "A residual block adds its input back to the branch's output, out = shortcut * x + "
            "F(x): without the shortcut it is a plain two-layer network and loses the identity "
            "path that keeps deep networks trainable.",
            '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    h = np.maximum(x @ W1 + b1, 0.0)
    return h @ W2 + b2, (x, h, W1, W2, shortcut)
''',
        ),
        # the shortcut scale applied to the branch, x + lambda F(x): the visible
        # shortcut = 0.5 check
        "scales_branch_not_shortcut": Misconception(
            "The scale lambda belongs to the shortcut, out = lambda * x + F(x); scaling the branch "
            "instead changes a different path of the block.",
            '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    h = np.maximum(x @ W1 + b1, 0.0)
    return x + shortcut * (h @ W2 + b2), (x, h, W1, W2, shortcut)
''',
        ),
        # a ReLU after the addition: the visible out (it has negative entries)
        "relu_after_addition": Misconception(
            "This block has no activation after the addition: out = shortcut * x + F(x) as it is, "
            "negative values included. A ReLU there would cut the identity path for negative "
            "inputs.",
            '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    h = np.maximum(x @ W1 + b1, 0.0)
    return np.maximum(shortcut * x + h @ W2 + b2, 0.0), (x, h, W1, W2, shortcut)
''',
        ),
        # caches the pre-activation x W1 + b1 instead of h: the visible cache check
        "caches_pre_activation": Misconception(
            "The cache holds h, the branch's inner activation after the ReLU: the backward pass "
            "needs it for dW2 and for the ReLU's mask; the pre-activation is a different array.",
            '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    z = x @ W1 + b1
    h = np.maximum(z, 0.0)
    return shortcut * x + h @ W2 + b2, (x, z, W1, W2, shortcut)
''',
        ),
        # a ReLU on the branch's output too: the visible out (F has a negative entry)
        "relu_on_branch_output": Misconception(
            "The branch F(x) = relu(x W1 + b1) W2 + b2 ends with a linear layer, no ReLU, so it "
            "can subtract from x as well as add to it.",
            '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    h = np.maximum(x @ W1 + b1, 0.0)
    return shortcut * x + np.maximum(h @ W2 + b2, 0.0), (x, h, W1, W2, shortcut)
''',
        ),
    },
    "residual_backward": {
        # dx without the shortcut's gradient: the visible dx
        "forgets_shortcut_gradient": Misconception(
            "x reaches the output along two paths, the shortcut and the branch, so dx is the sum "
            "of both gradients; the shortcut's contributes dout times its scale.",
            '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dz = (dout @ W2.T) * (h > 0)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    dx = dz @ W1.T
    return dx, dW1, db1, dW2, db2
''',
        ),
        # the shortcut's gradient not scaled by lambda: the visible shortcut = 0.5 check
        "shortcut_gradient_not_scaled": Misconception(
            "The shortcut multiplies x by lambda, so its gradient is lambda times dout: it is dout "
            "itself only for the identity shortcut, lambda = 1.",
            '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dz = (dout @ W2.T) * (h > 0)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    dx = dout + dz @ W1.T
    return dx, dW1, db1, dW2, db2
''',
        ),
        # mask h >= 0, always true after a ReLU (no masking): the visible db1
        "relu_mask_h_ge_0": Misconception(
            "After a ReLU every output is >= 0, so a mask h >= 0 is always true and lets the "
            "gradient through inactive units; the ReLU's derivative is 1 only where the unit is "
            "active (its output is positive).",
            '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dz = (dout @ W2.T) * (h >= 0)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    dx = shortcut * dout + dz @ W1.T
    return dx, dW1, db1, dW2, db2
''',
        ),
        # db1 summed from dout (shape (D,) instead of (H,)): the visible db1
        "db1_from_dout": Misconception(
            "b1 is the bias of the branch's first layer, so its gradient is the gradient at that "
            "layer's pre-activation, summed over the batch, with shape (H,); dout is the gradient "
            "at the block's output.",
            '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dz = (dout @ W2.T) * (h > 0)
    dW1 = x.T @ dz
    db1 = dout.sum(axis=0)
    dx = shortcut * dout + dz @ W1.T
    return dx, dW1, db1, dW2, db2
''',
        ),
        # dW1 from the unmasked gradient at h: passes the visible test (it does not check dW1),
        # fails the hidden cases
        "dW1_without_relu_mask": Misconception(
            "W1 acts before the ReLU, so its gradient uses the gradient at the pre-activation: the "
            "gradient at h must pass through the ReLU's mask first, as for b1 and dx.",
            '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dh = dout @ W2.T
    dz = dh * (h > 0)
    dW1 = x.T @ dh
    db1 = dz.sum(axis=0)
    dx = shortcut * dout + dz @ W1.T
    return dx, dW1, db1, dW2, db2
''',
        ),
    },
    "clip_grad_norm": {
        # clips each gradient by its own norm, not the global one: the visible W (3 -> 1, not 0.6)
        "clips_per_tensor": Misconception(
            "Clipping by the global norm treats all gradients as one vector: one norm over all of "
            "them and one common factor, which keeps the update's direction; clipping each array "
            "by its own norm changes it.",
            '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for g in grads.values():
        g *= min(1.0, max_norm / (np.sqrt(np.sum(g ** 2)) + eps))
    return total_norm
''',
        ),
        # returns the norm after clipping: the visible total (1 instead of 5)
        "returns_norm_after_clipping": Misconception(
            "The returned norm is the one measured before clipping: it reports how large the "
            "gradients were, which is what you monitor in training; after clipping it is at most "
            "max_norm by construction.",
            '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    scale = min(1.0, max_norm / (total_norm + eps))
    for g in grads.values():
        g *= scale
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
''',
        ),
        # always rescales to max_norm, also up: the visible small gradient
        "scales_up_below_max_norm": Misconception(
            "Clipping only ever shrinks: the factor is min(1, max_norm / (norm + eps)), so "
            "gradients whose norm is already below max_norm are left (almost) unchanged, never "
            "scaled up.",
            '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for g in grads.values():
        g *= max_norm / (total_norm + eps)
    return total_norm
''',
        ),
        # the L1 norm: the visible total (7 instead of 5)
        "l1_norm": Misconception(
            "The global norm is the L2 norm, the square root of the sum of all squared entries; "
            "the sum of absolute values (L1) is larger and clips too early.",
            '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = float(sum(np.sum(np.abs(g)) for g in grads.values()))
    scale = min(1.0, max_norm / (total_norm + eps))
    for g in grads.values():
        g *= scale
    return total_norm
''',
        ),
        # rebinds the loop variable: the arrays in grads never change (the visible W)
        "rebinds_loop_variable": Misconception(
            "`g = ...` only rebinds the loop variable to a new array; the arrays in the caller's "
            "`grads` are untouched. Clipping in place must change those arrays (or the dict's "
            "entries).",
            '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    scale = min(1.0, max_norm / (total_norm + eps))
    for g in grads.values():
        g = g * scale
    return total_norm
''',
        ),
    },
    "clip_grad_value": {
        # clips to [0, c]: negative entries become 0 (the visible W)
        "one_sided_clip": Misconception(
            "Clipping by value limits every entry to [-clip_value, clip_value]: negative gradients "
            "are bounded below by -clip_value, not set to 0.",
            '''
def clip_grad_value(grads, clip_value):
    for g in grads.values():
        np.clip(g, 0, clip_value, out=g)
''',
        ),
        # rebinds the loop variable to the clipped copy: grads never change (the visible W)
        "rebinds_loop_variable": Misconception(
            "`g = ...` only rebinds the loop variable to a new array; the arrays in the caller's "
            "`grads` are untouched. Clipping in place must change those arrays (or the dict's "
            "entries).",
            '''
def clip_grad_value(grads, clip_value):
    for g in grads.values():
        g = np.clip(g, -clip_value, clip_value)
''',
        ),
        # builds a clipped dict and returns it, the caller's grads unchanged: the visible W
        "returns_new_dict": Misconception(
            "Clipping works in place, as in PyTorch: the caller's gradient arrays themselves are "
            "changed and nothing is returned; a new dict leaves the caller's gradients unclipped.",
            '''
def clip_grad_value(grads, clip_value):
    return {name: np.clip(g, -clip_value, clip_value) for name, g in grads.items()}
''',
        ),
        # clips each gradient's norm to clip_value instead of its entries: the visible W
        "clips_norms_not_values": Misconception(
            "Clipping by value bounds each entry separately to [-clip_value, clip_value]; "
            "rescaling a whole array by its norm is clipping by norm, a different operation.",
            '''
def clip_grad_value(grads, clip_value):
    for g in grads.values():
        norm = np.sqrt(np.sum(g ** 2))
        if norm > clip_value:
            g *= clip_value / norm
''',
        ),
        # sets every entry beyond the bound to +clip_value, losing the sign: the visible W (-2)
        "loses_sign": Misconception(
            "Clipping keeps the sign: entries above clip_value become clip_value and entries below "
            "-clip_value become -clip_value; setting both to +clip_value flips large negative "
            "gradients.",
            '''
def clip_grad_value(grads, clip_value):
    for g in grads.values():
        g[np.abs(g) > clip_value] = clip_value
''',
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "xavier": {
        "standard_draws_scaled": '''
def xavier_init(fan_in: int, fan_out: int, gain: float = 1.0, distribution: str = "normal",
                seed: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    if distribution == "uniform":
        # U(-1, 1) has variance 1/3: scale by sqrt(3) std
        return np.sqrt(3.0) * std * (2.0 * rng.random((fan_in, fan_out)) - 1.0)
    if distribution != "normal":
        raise ValueError(distribution)
    return std * rng.standard_normal((fan_in, fan_out))
''',
        "glorot_uniform_formula": '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    shape = (fan_in, fan_out)
    if distribution == "uniform":
        a = gain * np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(low=-a, high=a, size=shape)
    return rng.normal(loc=0.0, scale=gain * np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
''',
    },
    "kaiming": {
        "if_chain_standard_draws": '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    if nonlinearity == "relu":
        gain = np.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        gain = np.sqrt(2.0 / (1.0 + negative_slope * negative_slope))
    elif nonlinearity == "linear":
        gain = 1.0
    else:
        raise ValueError(nonlinearity)
    fan = {"fan_in": fan_in, "fan_out": fan_out}[mode]
    std = gain / np.sqrt(fan)
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        return rng.standard_normal((fan_in, fan_out)) * std
    return rng.uniform(-1.0, 1.0, (fan_in, fan_out)) * (np.sqrt(3.0) * std)
''',
        "variance_form_relu_as_slope_zero": '''
def kaiming_init(
    fan_in: int,
    fan_out: int,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
    negative_slope: float = 0.0,
    distribution: str = "normal",
    seed: int | None = None,
) -> np.ndarray:
    # ReLU is a leaky ReLU of slope 0; a linear layer keeps the variance (gain^2 = 1)
    if nonlinearity == "linear":
        gain_squared = 1.0
    else:
        a = negative_slope if nonlinearity == "leaky_relu" else 0.0
        gain_squared = 2.0 / (1.0 + a**2)
    var = gain_squared / (fan_in if mode == "fan_in" else fan_out)
    rng = np.random.default_rng(seed)
    if distribution == "uniform":
        bound = np.sqrt(3.0 * var)
        return rng.uniform(-bound, bound, size=(fan_in, fan_out))
    return rng.normal(0.0, np.sqrt(var), size=(fan_in, fan_out))
''',
    },
    "deep_forward_backward": {
        "cached_preactivations": '''
def deep_forward_backward(X, weights, activation, dout):
    # keep the pre-activations z and take the derivatives at z
    zs, activations = [], []
    h = X
    for W in weights:
        z = h @ W
        zs.append(z)
        if activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-z))
        elif activation == "tanh":
            h = np.tanh(z)
        elif activation == "relu":
            h = z * (z > 0)
        else:
            raise ValueError(activation)
        activations.append(h)
    inputs = [X] + activations[:-1]
    grads = []
    dh = dout
    for W, z, h, h_in in zip(reversed(weights), reversed(zs), reversed(activations),
                             reversed(inputs)):
        if activation == "sigmoid":
            dz = dh * h * (1 - h)
        elif activation == "tanh":
            dz = dh / np.cosh(z) ** 2
        else:
            dz = np.where(z > 0, dh, 0.0)
        grads.insert(0, h_in.T @ dz)
        dh = dz @ W.T
    return activations, grads
''',
        "derivative_lookup": '''
def deep_forward_backward(
    X: np.ndarray, weights: list[np.ndarray], activation: str, dout: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    # each activation with its derivative written in terms of the output h
    functions = {
        "sigmoid": (lambda z: np.exp(-np.logaddexp(0.0, -z)), lambda h: h - h * h),
        "tanh": (np.tanh, lambda h: 1.0 - np.square(h)),
        "relu": (lambda z: np.where(z > 0, z, 0.0), lambda h: (h > 0).astype(h.dtype)),
    }
    f, df = functions[activation]
    hs = [X]
    for W in weights:
        hs.append(f(hs[-1] @ W).astype(np.result_type(hs[-1], W)))
    grads = [np.zeros_like(W) for W in weights]
    delta = dout
    for l in range(len(weights), 0, -1):
        delta = delta * df(hs[l])
        grads[l - 1] = hs[l - 1].T @ delta
        delta = delta @ weights[l - 1].T
    return hs[1:], grads
''',
    },
    "standardize": {
        "inverse_std_keepdims": '''
def standardize(X_train, X_test, eps=1e-3):
    mu = np.mean(X_train, axis=0, keepdims=True)
    var = np.mean((X_train - mu) ** 2, axis=0, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return (X_train - mu) * inv_std, (X_test - mu) * inv_std
''',
        "power_and_copies": '''
def standardize(
    X_train: np.ndarray, X_test: np.ndarray, eps: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    mean, var = X_train.mean(axis=0), np.var(X_train, axis=0)
    train, test = X_train.copy(), X_test.copy()
    train -= mean  # in place on our own copies only
    test -= mean
    factor = (var + eps) ** -0.5
    train *= factor
    test *= factor
    return train, test
''',
    },
    "batchnorm_forward": {
        "in_place_state_ddof1": '''
def batchnorm_forward(x, gamma, beta, state, training=True, momentum=0.1, eps=1e-5):
    if training:
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        state["running_mean"] *= 1 - momentum
        state["running_mean"] += momentum * mean
        state["running_var"] *= 1 - momentum
        state["running_var"] += momentum * x.var(axis=0, ddof=1)
    else:
        mean, var = state["running_mean"], state["running_var"]
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    out = gamma * x_hat + beta
    return out, ((x_hat, gamma, std) if training else None)
''',
        "mean_of_squares_lerp": '''
def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    state: dict,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, tuple | None]:
    if not training:
        scale = gamma / np.sqrt(state["running_var"] + eps)
        return (x - state["running_mean"]) * scale + beta, None
    n = len(x)
    mu = np.sum(x, axis=0) / n
    xc = x - mu
    var = np.sum(xc * xc, axis=0) / n
    std = np.sqrt(var + eps)
    x_hat = xc / std
    state["running_mean"] = state["running_mean"] + momentum * (mu - state["running_mean"])
    unbiased = np.sum(xc * xc, axis=0) / (n - 1)
    state["running_var"] = state["running_var"] + momentum * (unbiased - state["running_var"])
    return x_hat * gamma + beta, (x_hat, gamma, std)
''',
    },
    "batchnorm_backward": {
        "cs231n_staged": '''
def batchnorm_backward(dout, cache):
    # through the computational graph, one node at a time
    x_hat, gamma, std = cache
    n = dout.shape[0]
    xc = x_hat * std            # x - mean
    inv_std = 1.0 / std
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dinv_std = np.sum(dx_hat * xc, axis=0)
    dxc1 = dx_hat * inv_std
    dstd = -dinv_std / std**2
    dvar = 0.5 * dstd / std
    dsq = np.ones_like(dout) * dvar / n
    dxc2 = 2.0 * xc * dsq
    dxc = dxc1 + dxc2
    dmean = -np.sum(dxc, axis=0)
    dx = dxc + dmean / n
    return dx, dgamma, dbeta
''',
        "compact_formula": '''
def batchnorm_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x_hat, gamma, std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    dx = gamma / (n * std) * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
''',
    },
    "layernorm_forward": {
        # centred first, the variance as the mean of squares, multiplication by 1 / std
        "centred_mean_of_squares": '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    xc = x - np.mean(x, axis=-1, keepdims=True)
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = xc * (1.0 / std)
    out = x_hat * gamma[None, :] + beta[None, :]
    return out, (x_hat, gamma, std)
''',
        # sums divided by D, einsum for the squares
        "sums_over_d": '''
def layernorm_forward(x, gamma, beta, eps=1e-5):
    N, D = x.shape
    mu = x.sum(axis=1).reshape(N, 1) / D
    xc = x - mu
    std = np.sqrt(np.einsum("nd,nd->n", xc, xc).reshape(N, 1) / D + eps)
    x_hat = xc / std
    return np.multiply(gamma, x_hat) + beta, (x_hat, gamma, std)
''',
    },
    "layernorm_backward": {
        # CS231n-style staged backward through mean, centring, variance and sqrt
        "staged_graph": '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dxhat = dout * gamma
    ivar = 1.0 / std
    xmu = x_hat * std
    divar = np.sum(dxhat * xmu, axis=1, keepdims=True)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (std ** 2) * divar
    dvar = 0.5 * ivar * dsqrtvar
    dsq = np.ones((N, D)) / D * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=1, keepdims=True)
    dx2 = np.ones((N, D)) / D * dmu
    return dx1 + dx2, dgamma, dbeta
''',
        # the compact formula with sums, einsum for dgamma
        "compact_sums_einsum": '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    D = dout.shape[1]
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True)
          - x_hat * np.einsum("nd,nd->n", dxhat, x_hat)[:, None]) / (D * std)
    return dx, np.einsum("nd,nd->d", dout, x_hat), dout.sum(axis=0)
''',
    },
    "residual_forward": {
        # ReLU as a masked product, np.dot, shortcut added last
        "mask_product_dot": '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    z = np.dot(x, W1) + b1
    h = z * (z > 0)
    out = np.dot(h, W2) + b2
    out = out + shortcut * x
    return out, (x, h, W1, W2, shortcut)
''',
        # einsum and np.where
        "einsum_where": '''
def residual_forward(x, W1, b1, W2, b2, shortcut=1.0):
    z = np.einsum("nd,dh->nh", x, W1) + b1
    h = np.where(z > 0, z, 0.0)
    return np.einsum("nh,hd->nd", h, W2) + b2 + x * shortcut, (x, h, W1, W2, shortcut)
''',
    },
    "residual_backward": {
        # einsum for the weight gradients, np.where for the ReLU
        "einsum_where": '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dW2 = np.einsum("nh,nd->hd", h, dout)
    db2 = np.sum(dout, axis=0)
    dh = np.einsum("nd,hd->nh", dout, W2)
    dz = np.where(h > 0, dh, 0.0)
    dW1 = np.einsum("nd,nh->dh", x, dz)
    db1 = np.sum(dz, axis=0)
    dx = np.einsum("nh,dh->nd", dz, W1) + shortcut * dout
    return dx, dW1, db1, dW2, db2
''',
        # the ReLU's derivative as np.sign(h) (1 where h > 0, 0 where h == 0), transposes via .dot
        "sign_mask_dot": '''
def residual_backward(dout, cache):
    x, h, W1, W2, shortcut = cache
    dz = dout.dot(W2.T) * np.sign(h)
    return (dout * shortcut + dz.dot(W1.T), x.T.dot(dz), dz.sum(0), h.T.dot(dout), dout.sum(0))
''',
    },
    "clip_grad_norm": {
        # np.linalg.norm of the concatenation, the dict entries replaced by scaled copies
        "concat_norm_replace_entries": '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    flat = np.concatenate([np.ravel(g).astype(np.float64) for g in grads.values()])
    total_norm = float(np.linalg.norm(flat))
    scale = min(1.0, max_norm / (total_norm + eps))
    for name in grads:
        grads[name] = grads[name] * scale
    return total_norm
''',
        # norm of the per-tensor norms, scaling only when above max_norm
        "norm_of_norms_if_above": '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    norms = [np.linalg.norm(np.asarray(g, dtype=np.float64).ravel()) for g in grads.values()]
    total_norm = float(np.linalg.norm(norms))
    clip_coef = max_norm / (total_norm + eps)
    if clip_coef < 1:
        for g in grads.values():
            g *= clip_coef
    return total_norm
''',
    },
    "clip_grad_value": {
        # np.minimum / np.maximum, the dict entries replaced
        "minimum_maximum_replace": '''
def clip_grad_value(grads, clip_value):
    for name, g in grads.items():
        grads[name] = np.minimum(np.maximum(g, -clip_value), clip_value)
''',
        # boolean-mask assignment in place
        "mask_assignment": '''
def clip_grad_value(grads, clip_value):
    for g in grads.values():
        g[g > clip_value] = clip_value
        g[g < -clip_value] = -clip_value
''',
    },
}


# Issue 17: every documented argument is exercised with a non-default value; these bugs
# ignore one and kept full marks before.
# eps is ignored (1e-6 is used): wrong on the hidden eps=0.5 case
BUGGY['clip_grad_norm']['ignores_eps'] = Misconception(
    "eps is an argument like the others: a hard-coded 1e-6 in the clipping factor ignores the "
    "caller's value.",
    '''
def clip_grad_norm(grads: dict, max_norm: float, eps: float = 1e-6) -> float:
    """Clip gradients by their global norm, in place (PyTorch's clip_grad_norm_).

    Args:
        grads: dict name -> gradient array; every array is scaled by the same factor
            min(1, max_norm / (total_norm + eps)).
        max_norm: the largest allowed global norm.
        eps: keeps the division finite.

    Returns:
        total_norm: the global L2 norm of all gradients before clipping, a Python float.
    """
    total_norm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    for g in grads.values():
        g *= scale
    return total_norm
''',
)


# Issue 17: edges of the domain. Seed 0 is a seed: `if seed:` treats it as "no seed" and
# draws from the global generator, so two calls with seed 0 give different weights (the
# hidden seed-0 reproducibility checks; every other seed works)
BUGGY["xavier"]["seed_zero_is_no_seed"] = Misconception(
    "0 is a valid seed: a check like `if seed:` treats it as no seed at all, so two calls with "
    "seed 0 draw different weights. Only None means no seed.",
    '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed) if seed else np.random.default_rng()
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    if distribution == "uniform":
        bound = np.sqrt(3.0) * std
        return rng.uniform(-bound, bound, size=(fan_in, fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))
''',
)
BUGGY["kaiming"]["seed_zero_is_no_seed"] = Misconception(
    "0 is a valid seed: a check like `if seed:` treats it as no seed at all, so two calls with "
    "seed 0 draw different weights. Only None means no seed.",
    '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    if seed:
        np.random.seed(seed)
    gain = {"relu": np.sqrt(2.0), "linear": 1.0,
            "leaky_relu": np.sqrt(2.0 / (1.0 + negative_slope**2))}[nonlinearity]
    std = gain / np.sqrt(fan_in if mode == "fan_in" else fan_out)
    if distribution == "uniform":
        bound = np.sqrt(3.0) * std
        return np.random.uniform(-bound, bound, size=(fan_in, fan_out))
    return np.random.randn(fan_in, fan_out) * std
''',
)

# Issue 17: dtype contracts where they are stated. The docstrings promise "an array of
# float64"; these return float32 weights ("the precision networks train in"), right in
# distribution: the hidden dtype checks
BUGGY["xavier"]["float32_weights"] = Misconception(
    "The weights are promised as float64: converting them to float32 changes the documented dtype, "
    "and precision is for the caller to choose when it builds its network.",
    '''
def xavier_init(fan_in, fan_out, gain=1.0, distribution="normal", seed=None):
    rng = np.random.default_rng(seed)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    if distribution == "uniform":
        W = rng.uniform(-np.sqrt(3.0) * std, np.sqrt(3.0) * std, size=(fan_in, fan_out))
    else:
        W = rng.normal(0.0, std, size=(fan_in, fan_out))
    return W.astype(np.float32)
''',
)
BUGGY["kaiming"]["float32_weights"] = Misconception(
    "The weights are promised as float64: converting them to float32 changes the documented dtype, "
    "and precision is for the caller to choose when it builds its network.",
    '''
def kaiming_init(fan_in, fan_out, mode="fan_in", nonlinearity="relu", negative_slope=0.0,
                 distribution="normal", seed=None):
    gain = {"relu": np.sqrt(2.0), "linear": 1.0,
            "leaky_relu": np.sqrt(2.0 / (1.0 + negative_slope**2))}[nonlinearity]
    std = gain / np.sqrt(fan_in if mode == "fan_in" else fan_out)
    rng = np.random.default_rng(seed)
    if distribution == "uniform":
        draws = rng.uniform(-1.0, 1.0, size=(fan_in, fan_out)).astype(np.float32)
        return draws * np.float32(np.sqrt(3.0) * std)
    return rng.standard_normal((fan_in, fan_out), dtype=np.float32) * np.float32(std)
''',
)
# the returned norm is "a Python float": summed in the gradients' precision it is a float32
# NumPy scalar for float32 gradients (the values are within the float32 tolerance): the
# hidden float32 type check
BUGGY["clip_grad_norm"]["float32_norm"] = Misconception(
    "The norm is returned as a Python float, computed in float64: summed in the gradients' own "
    "float32 precision it comes back as a NumPy float32 scalar, less accurate and of a different "
    "type.",
    '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
    scale = min(1.0, max_norm / (total_norm + eps))
    for g in grads.values():
        g *= scale
    return total_norm
''',
)

# Issue 17: a clip exactly at the threshold. The factor is min(1, max_norm / (norm + eps)),
# below 1 when the norm equals max_norm; clipping only above max_norm leaves the gradients
# unscaled there (off by eps / norm: 2e-4 for the hidden norm 2**-10 * 5)
BUGGY["clip_grad_norm"]["clips_only_above_max_norm"] = Misconception(
    "The factor min(1, max_norm / (norm + eps)) applies to every norm, and it is already below 1 "
    "when the norm equals max_norm; scaling only when the norm exceeds max_norm leaves that edge "
    "unscaled.",
    '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))
    if total_norm > max_norm:
        for g in grads.values():
            g *= max_norm / (total_norm + eps)
    return total_norm
''',
)
# the norm summed in float64 and returned as a NumPy float64, which is a Python float: the
# float32 type check must keep it
CORRECT["clip_grad_norm"]["numpy_float64_norm"] = '''
def clip_grad_norm(grads, max_norm, eps=1e-6):
    total_norm = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values()))
    scale = min(1.0, max_norm / (total_norm + eps))
    for g in grads.values():
        g *= scale
    return total_norm
'''
