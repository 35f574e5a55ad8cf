"""Realistic buggy and correct alternative implementations of assignment 01's exercises.

Each entry maps a solution cell's grade_id to {variant name: the full source a student might
put in that cell}. The grading tests (tests/test_grading.py) fill a copy of the student
notebook with the reference solutions, replace one cell with a variant, autograde it with
nbgrader and check: a buggy variant loses points on that exercise and only that one; a
correct variant keeps full marks.

Every buggy variant gives a wrong result (or an error, or modifies its input) on at least one
hidden case; the comment after each name says where. The correct alternatives differ from
the reference in formula, vectorisation or dtype handling, and agree with it within the
grading tolerance in float64 and float32.
"""

BUGGY: dict[str, dict[str, str]] = {
    "perceptron_predict": {
        # np.sign gives 0 (not +1) for a score of exactly 0
        "np_sign": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.sign(X @ w + b)
''',
        # a point on the boundary is predicted -1
        "strict_inequality": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w + b > 0, 1, -1)
''',
        # the bias is ignored
        "forgot_bias": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w >= 0, 1, -1)
''',
        # labels 0/1 instead of -1/+1
        "labels_zero_one": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return (X @ w + b >= 0).astype(int)
''',
        # the bias is subtracted
        "bias_subtracted": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    scores = X @ w - b
    return np.where(scores >= 0, 1, -1)
''',
    },
    "perceptron_train": {
        # `< 0`: from w = 0 every margin is 0, so it never updates
        "strict_mistake_test": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) < 0:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes[epoch] += 1
    return w, b, mistakes
''',
        # updates on every sample, not only on mistakes
        "updates_every_sample": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                mistakes[epoch] += 1
            w = w + lr * y[i] * X[i]
            b = b + lr * y[i]
    return w, b, mistakes
''',
        # the bias is never updated
        "forgot_bias_update": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w = w + lr * y[i] * X[i]
                mistakes[epoch] += 1
    return w, b, mistakes
''',
        # the mistake counter is never reset: cumulative counts
        "cumulative_mistakes": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = []
    count = 0
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w += lr * y[i] * X[i]
                b += lr * y[i]
                count += 1
        mistakes.append(count)
    return w, b, np.array(mistakes)
''',
        # shuffles the samples every epoch (a good idea in general, but not what was asked)
        "shuffled_order": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    rng = np.random.default_rng(0)
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in rng.permutation(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes[epoch] += 1
    return w, b, mistakes
''',
        # mistake = "prediction (with sign(0) = +1) differs": misses zero margins of +1 samples
        "predict_based_mistakes": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            prediction = 1 if X[i] @ w + b >= 0 else -1
            if prediction != y[i]:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes[epoch] += 1
    return w, b, mistakes
''',
        # the learning rate is ignored
        "ignores_lr": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w = w + y[i] * X[i]
                b = b + y[i]
                mistakes[epoch] += 1
    return w, b, mistakes
''',
    },
    "sigmoid": {
        # exp(z) / (1 + exp(z)) is inf / inf = nan for z = 1000
        "exp_ratio_overflows": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    ez = np.exp(z)
    return ez / (1 + ez)


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
''',
        # sign error in the exponent: computes sigmoid(-z)
        "sign_error": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
''',
        # the derivative written in terms of the output, but applied to the input
        "derivative_of_input": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    return z * (1 - z)
''',
        # derivative exp(-z) / (1 + exp(-z))**2 is inf / inf = nan for z = -1000
        "derivative_overflows": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    return np.exp(-z) / (1 + np.exp(-z)) ** 2
''',
        # clipping z to [-20, 20] "for stability": sigmoid(-50) becomes 2e-9 instead of 2e-22
        "clipped_input": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.clip(z, -20, 20)
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
''',
    },
    "tanh_derivative": {
        # 1 - z**2 is the derivative in terms of the output tanh(z), applied to z
        "forgot_tanh": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - z**2
''',
        # forgot the square
        "forgot_square": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z)
''',
        # sech(z) instead of sech(z)**2
        "sech_not_squared": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 / np.cosh(z)
''',
        # squared the input instead of the tanh
        "square_inside": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z**2)
''',
    },
    "relu": {
        # derivative 1 at exactly 0
        "derivative_one_at_zero": '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z >= 0).astype(z.dtype)
''',
        # modifies the caller's array
        "in_place": '''
def relu(z: np.ndarray) -> np.ndarray:
    z[z < 0] = 0
    return z


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(float)
''',
        # np.max reduces along axis 0 instead of comparing elementwise
        "np_max_instead_of_maximum": '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.max(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.0)
''',
        # heaviside with value 0.5 at 0
        "heaviside_half": '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, 0.0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.heaviside(z, 0.5)
''',
        # the derivative is -1 for negative inputs
        "derivative_sign": '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.sign(z)
''',
    },
    "leaky_relu": {
        # derivative 1 at exactly 0 (should be alpha)
        "derivative_one_at_zero": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z >= 0, 1.0, alpha)
''',
        # alpha hard-coded to 0.01
        "hard_coded_alpha": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, 0.01 * z)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.01)
''',
        # max(z, alpha) instead of max(z, alpha * z)
        "max_with_alpha": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.maximum(z, alpha)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, alpha)
''',
        # derivative copied from relu
        "relu_derivative_copied": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return (z > 0).astype(float)
''',
        # the constant alpha instead of alpha * z for negative inputs
        "constant_alpha": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, alpha)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, alpha)
''',
    },
    "softmax": {
        # no max shift: nan for large logits
        "no_max_shift": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)
''',
        # normalises the columns instead of the rows
        "wrong_axis": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
''',
        # the batch maximum: rows far below it underflow to 0 / 0
        "global_max": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=1, keepdims=True)
''',
        # shifts the caller's array in place
        "in_place_shift": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    Z -= Z.max(axis=1, keepdims=True)
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)
''',
        # no keepdims: broadcasts along the wrong axis (error, or wrong when N == C)
        "missing_keepdims": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=1))
    return e / e.sum(axis=1)
''',
    },
    "mlp_forward": {
        # activation after the last layer as well
        "activation_on_last_layer": '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for W, b in zip(weights, biases):
        H = activation(H @ W + b)
    return H
''',
        # biases ignored
        "forgot_bias": '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for i, W in enumerate(weights):
        H = H @ W
        if i < len(weights) - 1:
            H = activation(H)
    return H
''',
        # only works for exactly two layers
        "two_layers_hard_coded": '''
def mlp_forward(X, weights, biases, activation):
    hidden = activation(X @ weights[0] + biases[0])
    return hidden @ weights[1] + biases[1]
''',
        # activation before every layer, including on the raw inputs
        "activation_on_inputs": '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for W, b in zip(weights, biases):
        H = activation(H) @ W + b
    return H
''',
        # loop stops one layer early
        "off_by_one": '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for i in range(len(weights) - 1):
        H = activation(H @ weights[i] + biases[i])
    return H
''',
    },
    "mse_loss": {
        # sum instead of mean
        "sum": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.sum((pred - target) ** 2))
''',
        # the 1/2 convention of some textbooks
        "half_mse": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return 0.5 * float(np.mean((pred - target) ** 2))
''',
        # divides by the batch size only (right for (N,), wrong for (N, D))
        "divide_by_batch_size": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.sum((pred - target) ** 2) / len(pred)
''',
        # square of the mean error
        "square_of_mean": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.mean(pred - target) ** 2
''',
        # mean absolute error
        "absolute_error": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.mean(np.abs(pred - target))
''',
    },
    "binary_cross_entropy_with_logits": {
        # sigmoid first, then log: inf / nan for large |z|
        "naive_probabilities": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
''',
        # clipped probabilities: finite, but the loss is capped at about 16
        "clipped_probabilities": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
''',
        # softplus(z) - z*y with a softplus that overflows for z = 1000
        "softplus_overflows": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.log1p(np.exp(z)) - z * y))
''',
        # sign error on the z * y term
        "sign_error": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z)))))
''',
        # sum over the batch instead of the mean
        "summed": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
''',
    },
    "softmax_cross_entropy": {
        # no log-sum-exp: inf / nan for huge logits
        "naive_softmax_log": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
''',
        # stable softmax, then log: a probability that underflows to 0 gives inf
        "stable_softmax_then_log": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
''',
        # sum over the batch instead of the mean
        "summed": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.sum(lse - logits[np.arange(len(labels)), labels]))
''',
        # logits[:, labels] is an (N, N) matrix
        "column_indexing": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[:, labels]))
''',
        # log-sum-exp without adding the maximum back
        "lse_forgot_max": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(labels)), labels]))
''',
        # one-hot version averaged over all N * C entries
        "one_hot_mean_over_classes": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    log_probs = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    one_hot = np.eye(logits.shape[1])[labels]
    return float(-np.mean(one_hot * log_probs))
''',
    },
    "relu_interpolant": {
        # the slopes themselves as output weights (not their changes)
        "slopes_as_weights": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = slopes[:, None]
    b2 = values[:1]
    return w1, b1, w2, b2
''',
        # forgot the output bias values[0]
        "forgot_output_bias": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    b2 = np.zeros(1)
    return w1, b1, w2, b2
''',
        # relu(x + knot) instead of relu(x - knot)
        "bias_sign": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = knots[:-1].copy()
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        # slopes without dividing by the knot spacing
        "unscaled_slopes": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        # output weights as a flat (K-1,) vector instead of a (K-1, 1) column
        "flat_output_weights": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        # one unit per knot, the last one included
        "unit_at_every_knot": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots)))
    b1 = -knots
    w2 = np.concatenate([slopes[:1], np.diff(slopes), [0.0]])[:, None]
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "perceptron_predict": {
        "list_comprehension": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.array([1 if x @ w + b >= 0 else -1 for x in X])
''',
        "arithmetic_on_booleans": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 2 * (np.dot(X, w) + b >= 0).astype(int) - 1
''',
        "sign_with_zero_fixed": '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    signs = np.sign(X @ w + b)
    signs[signs == 0] = 1
    return signs.astype(int)
''',
    },
    "perceptron_train": {
        "sign_based_mistake_test": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if np.sign(x_i @ w + b) != y_i:
                w += lr * y_i * x_i
                b += lr * y_i
                count += 1
        mistakes.append(count)
    return w, b, np.array(mistakes)
''',
        "augmented_vector": '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    X_aug = np.hstack([X, np.ones((X.shape[0], 1))])
    w_aug = np.zeros(X_aug.shape[1])
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(X_aug.shape[0]):
            if y[i] * np.dot(w_aug, X_aug[i]) <= 0:
                w_aug += lr * y[i] * X_aug[i]
                mistakes[epoch] += 1
    return w_aug[:-1], float(w_aug[-1]), mistakes
''',
    },
    "sigmoid": {
        "logaddexp": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0, -z))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s - s * s
''',
        "tanh_identity": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    t = np.tanh(0.5 * z)
    return 0.25 * (1 - t * t)
''',
        "boolean_masks": '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z, dtype=float)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2
''',
    },
    "tanh_derivative": {
        "sech_squared": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1 / np.cosh(z) ** 2
''',
        "factored": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    t = np.tanh(z)
    return (1 - t) * (1 + t)
''',
        "power": '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z) ** 2
''',
    },
    "relu": {
        "mask_multiply": '''
def relu(z: np.ndarray) -> np.ndarray:
    return z * (z > 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.0)
''',
        "clip_and_heaviside": '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.clip(z, 0, None)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.heaviside(z, 0.0)
''',
        "copy_then_mask": '''
def relu(z: np.ndarray) -> np.ndarray:
    out = z.copy()
    out[out < 0] = 0
    return out


def relu_derivative(z: np.ndarray) -> np.ndarray:
    d = np.zeros_like(z)
    d[z > 0] = 1
    return d
''',
    },
    "leaky_relu": {
        "maximum_form": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.maximum(z, alpha * z)  # valid because alpha < 1


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1, alpha)
''',
        "masks_on_copies": '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    out = z.copy()
    out[z < 0] *= alpha
    return out


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    d = np.ones_like(z)
    d[z <= 0] = alpha
    return d
''',
    },
    "softmax": {
        "log_sum_exp": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    m = np.max(Z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))
    return np.exp(Z - lse)
''',
        "row_loop": '''
def softmax(Z: np.ndarray) -> np.ndarray:
    out = np.zeros_like(Z)
    for i, row in enumerate(Z):
        e = np.exp(row - np.max(row))
        out[i] = e / np.sum(e)
    return out
''',
    },
    "mlp_forward": {
        "hidden_layers_then_output": '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for W, b in zip(weights[:-1], biases[:-1]):
        H = activation(H @ W + b)
    return H @ weights[-1] + biases[-1]
''',
        "activation_before_all_but_first": '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        if i > 0:
            H = activation(H)
        H = np.dot(H, W) + b
    return H
''',
        "recursive": '''
def mlp_forward(X, weights, biases, activation):
    out = X @ weights[0] + biases[0]
    if len(weights) == 1:
        return out
    return mlp_forward(activation(out), weights[1:], biases[1:], activation)
''',
    },
    "mse_loss": {
        "divide_by_size": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    diff = pred - target
    return np.sum(diff * diff) / diff.size
''',
        "square_then_mean": '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.square(pred - target).mean()
''',
    },
    "binary_cross_entropy_with_logits": {
        "softplus_logaddexp": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0, z) - z * y))
''',
        "per_label_log_sigmoid": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    log_p = -np.logaddexp(0, -z)  # log sigmoid(z)
    log_not_p = -np.logaddexp(0, z)  # log (1 - sigmoid(z))
    return -np.mean(y * log_p + (1 - y) * log_not_p)
''',
        "log_instead_of_log1p": '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    losses = np.maximum(z, 0) - z * y + np.log(1 + np.exp(-np.abs(z)))
    return losses.mean()
''',
    },
    "softmax_cross_entropy": {
        "logaddexp_reduce_loop": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for row, label in zip(logits, labels):
        total += np.logaddexp.reduce(row) - row[label]
    return total / len(labels)
''',
        "log_softmax_one_hot": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    n, c = logits.shape
    m = logits.max(axis=1, keepdims=True)
    log_probs = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    one_hot = np.eye(c)[labels]
    return -np.sum(one_hot * log_probs) / n
''',
        "take_along_axis": '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_norm = np.log(np.sum(np.exp(shifted), axis=1))
    picked = np.take_along_axis(shifted, labels[:, None], axis=1)[:, 0]
    return np.mean(log_norm - picked)
''',
    },
    "relu_interpolant": {
        "loop": '''
def relu_interpolant(knots, values):
    k = len(knots)
    w1 = np.ones((1, k - 1))
    b1 = np.array([-t for t in knots[:-1]])
    w2 = np.zeros((k - 1, 1))
    previous_slope = 0.0
    for i in range(k - 1):
        slope = (values[i + 1] - values[i]) / (knots[i + 1] - knots[i])
        w2[i, 0] = slope - previous_slope
        previous_slope = slope
    b2 = np.array([values[0]])
    return w1, b1, w2, b2
''',
        "solve_linear_system": '''
def relu_interpolant(knots, values):
    k = len(knots)
    hidden = np.maximum(knots[:, None] - knots[None, :-1], 0)  # (K, K-1) unit outputs
    A = np.hstack([hidden, np.ones((k, 1))]).astype(np.float64)
    solution = np.linalg.solve(A, values.astype(np.float64))
    return np.ones((1, k - 1)), -knots[:-1], solution[:-1, None], solution[-1:]
''',
        "diff_with_prepend": '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w2 = np.diff(slopes, prepend=0.0).reshape(-1, 1)
    return np.ones((1, len(slopes))), -knots[:-1].copy(), w2, np.array([values[0]])
''',
    },
}


# Issue 17: edges of the stated domain, scores exactly at and just beside the threshold. A
# "tolerant" comparison counts a score of -1e-12 as on the boundary: the hidden case "scores
# just below and above 0" (and the tiny-margin case of training).
BUGGY["perceptron_predict"]["isclose_counts_as_boundary"] = '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    scores = X @ w + b
    return np.where((scores > 0) | np.isclose(scores, 0), 1, -1)
'''
BUGGY["perceptron_train"]["isclose_margin_is_mistake"] = '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            margin = y[i] * (X[i] @ w + b)
            if margin < 0 or np.isclose(margin, 0):
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes[epoch] += 1
    return w, float(b), mistakes
'''

# Issue 17: integer-dtype inputs (the docstrings allow arrays of numbers: np.int64 X). An
# in-place update of an integer array with a float raises a casting error: the hidden
# "integer X" cases (int64 X and w with a fractional bias; int64 X in training).
BUGGY["perceptron_predict"]["in_place_bias_add"] = '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    scores = X @ w
    scores += b
    return np.where(scores >= 0, 1, -1)
'''
BUGGY["perceptron_train"]["weights_in_input_dtype"] = '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1], dtype=X.dtype)
    b = 0.0
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w += lr * y[i] * X[i]
                b += lr * y[i]
                mistakes[epoch] += 1
    return w, b, mistakes
'''
# slopes stored in an array of the inputs' dtype: truncated for integer knots and values
BUGGY["relu_interpolant"]["output_weights_in_input_dtype"] = '''
def relu_interpolant(knots, values):
    k = len(knots)
    w1 = np.ones((1, k - 1))
    b1 = -knots[:-1]
    w2 = np.zeros_like(values[:-1]).reshape(-1, 1)
    previous_slope = 0.0
    for i in range(k - 1):
        slope = (values[i + 1] - values[i]) / (knots[i + 1] - knots[i])
        w2[i, 0] = slope - previous_slope
        previous_slope = slope
    return w1, b1, w2, values[:1].copy()
'''
CORRECT["perceptron_predict"]["float_copy_of_inputs"] = '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    X, w = np.asarray(X, dtype=float), np.asarray(w, dtype=float)
    scores = X @ w
    scores += b
    return np.where(scores >= 0, 1, -1)
'''
CORRECT["perceptron_train"]["float_copy_of_inputs"] = '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    X = np.asarray(X, dtype=float)
    w = np.zeros_like(X[0])
    b = 0.0
    mistakes = np.zeros(epochs, dtype=np.int64)
    for epoch in range(epochs):
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                w += lr * y_i * x_i
                b += lr * y_i
                mistakes[epoch] += 1
    return w, float(b), mistakes
'''
CORRECT["relu_interpolant"]["float_copy_of_inputs"] = '''
def relu_interpolant(knots, values):
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values) / np.diff(knots)
    w2 = np.empty((len(slopes), 1))
    w2[0, 0] = slopes[0]
    w2[1:, 0] = slopes[1:] - slopes[:-1]
    return np.ones((1, len(slopes))), -knots[:-1], w2, values[:1].copy()
'''

# Issue 17: dtype contracts that a docstring states. perceptron_predict returns an "integer
# array", perceptron_train's mistakes are an "integer array", relu_derivative returns a
# "float array"; values alone cannot tell (1.0 == 1 == True): the hidden dtype checks.
BUGGY["perceptron_predict"]["float_labels"] = '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w + b >= 0, 1.0, -1.0)
'''
BUGGY["perceptron_train"]["float_mistake_counts"] = '''
def perceptron_train(X, y, epochs=10, lr=1.0):
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes = np.zeros(epochs)
    for epoch in range(epochs):
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes[epoch] += 1
    return w, b, mistakes
'''
BUGGY["relu"]["boolean_derivative"] = '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return z > 0
'''
BUGGY["relu"]["integer_derivative"] = '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(int)
'''

# Issue 17: "any shape" includes a 0-d array. np.atleast_1d (added so that boolean masks
# "work on scalars") returns shape (1,) for it: the hidden "0-d array" cases.
BUGGY["sigmoid"]["atleast_1d_masks"] = '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.atleast_1d(z)
    out = np.empty(z.shape)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
'''
BUGGY["tanh_derivative"]["atleast_1d"] = '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    t = np.tanh(np.atleast_1d(z))
    return 1 - t * t
'''
BUGGY["relu"]["atleast_1d_masks"] = '''
def relu(z: np.ndarray) -> np.ndarray:
    out = np.atleast_1d(z).copy()
    out[out < 0] = 0
    return out


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)
'''
BUGGY["leaky_relu"]["atleast_1d_masks"] = '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    out = np.atleast_1d(z).copy()
    out[out <= 0] *= alpha
    return out


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    d = np.ones(np.shape(z))
    d[z <= 0] = alpha
    return d
'''
