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

from dlcourse.grader.variants import Misconception

BUGGY: dict[str, dict[str, str]] = {
    "perceptron_predict": {
        # np.sign gives 0 (not +1) for a score of exactly 0
        "np_sign": Misconception(
            "A perceptron outputs a label in {-1, +1} for every point: `np.sign` gives 0 for a "
            "score of exactly 0, but points on the decision boundary belong to the +1 class.",
            '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.sign(X @ w + b)
''',
        ),
        # a point on the boundary is predicted -1
        "strict_inequality": Misconception(
            "Points exactly on the decision boundary (score X @ w + b equal to 0) are classified "
            "+1: the rule is score >= 0, not score > 0.",
            '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w + b > 0, 1, -1)
''',
        ),
        # the bias is ignored
        "forgot_bias": Misconception(
            "The score of a point is X @ w + b: the bias shifts the decision boundary away from "
            "the origin, and without it every boundary passes through 0.",
            '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w >= 0, 1, -1)
''',
        ),
        # labels 0/1 instead of -1/+1
        "labels_zero_one": Misconception(
            "The perceptron's labels are -1 and +1, not 0 and 1: the training rule relies on that "
            "sign convention (y_i * score > 0 means a correct prediction).",
            '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return (X @ w + b >= 0).astype(int)
''',
        ),
        # the bias is subtracted
        "bias_subtracted": Misconception(
            "The score is X @ w plus the bias, not minus it: subtracting b moves the decision "
            "boundary to the wrong side, so points near it are misclassified.",
            '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    scores = X @ w - b
    return np.where(scores >= 0, 1, -1)
''',
        ),
    },
    "perceptron_train": {
        # `< 0`: from w = 0 every margin is 0, so it never updates
        "strict_mistake_test": Misconception(
            "A margin of exactly 0 counts as a mistake (y_i * score <= 0): starting from w = 0 "
            "every margin is 0, so with a strict test the perceptron never makes its first "
            "update.",
            '''
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
        ),
        # updates on every sample, not only on mistakes
        "updates_every_sample": Misconception(
            "Rosenblatt's rule updates only on a mistake: a correctly classified sample leaves w "
            "and b unchanged, otherwise correct points keep pulling the boundary around.",
            '''
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
        ),
        # the bias is never updated
        "forgot_bias_update": Misconception(
            "The bias is learned too: every mistake updates b along with w, otherwise the "
            "decision boundary stays stuck through the origin.",
            '''
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
        ),
        # the mistake counter is never reset: cumulative counts
        "cumulative_mistakes": Misconception(
            "mistakes[e] counts the updates made during epoch e alone, so the count restarts at 0 "
            "each epoch; a running total hides whether training has converged.",
            '''
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
        ),
        # shuffles the samples every epoch (a good idea in general, but not what was asked)
        "shuffled_order": Misconception(
            "Each epoch visits the samples in the given order: the perceptron's result depends on "
            "the order of its updates, so shuffling gives different (if valid) weights and "
            "mistake counts.",
            '''
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
        ),
        # mistake = "prediction (with sign(0) = +1) differs": misses zero margins of +1 samples
        "predict_based_mistakes": Misconception(
            "A mistake is a margin y_i * (x_i @ w + b) <= 0, a margin of exactly 0 included; "
            "comparing a prediction that maps a score of 0 to +1 misses the zero-margin +1 "
            "samples, which must update too.",
            '''
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
        ),
        # the learning rate is ignored
        "ignores_lr": Misconception(
            "The learning rate `lr` scales every perceptron update, of the weights and of the "
            "bias; ignoring it only gives the right result when lr happens to be 1.",
            '''
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
        ),
    },
    "sigmoid": {
        # exp(z) / (1 + exp(z)) is inf / inf = nan for z = 1000
        "exp_ratio_overflows": Misconception(
            "exp(z) / (1 + exp(z)) overflows for large positive z (inf / inf = nan); a stable "
            "sigmoid only ever exponentiates -|z|, choosing the algebraically equal form by the "
            "sign of z.",
            '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    ez = np.exp(z)
    return ez / (1 + ez)


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
''',
        ),
        # sign error in the exponent: computes sigmoid(-z)
        "sign_error": Misconception(
            "The sigmoid 1 / (1 + exp(-z)) tends to 1 for large positive z: the two stable "
            "branches are swapped here, which computes sigmoid(-z).",
            '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
''',
        ),
        # the derivative written in terms of the output, but applied to the input
        "derivative_of_input": Misconception(
            "s * (1 - s) is the derivative written in terms of the sigmoid's output s = "
            "sigmoid(z); `sigmoid_derivative` receives z itself, so the formula must be applied "
            "to sigmoid(z), not to z.",
            '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    return z * (1 - z)
''',
        ),
        # derivative exp(-z) / (1 + exp(-z))**2 is inf / inf = nan for z = -1000
        "derivative_overflows": Misconception(
            "exp(-z) / (1 + exp(-z))**2 overflows for large negative z (inf / inf = nan); the "
            "derivative needs the same care as the sigmoid, for instance by expressing it through "
            "the stable sigmoid.",
            '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    return np.exp(-z) / (1 + np.exp(-z)) ** 2
''',
        ),
        # clipping z to [-20, 20] "for stability": sigmoid(-50) becomes 2e-9 instead of 2e-22
        "clipped_input": Misconception(
            "Clipping z changes the result: sigmoid(-50) is about 2e-22, not sigmoid(-20) = 2e-9. "
            "Stability comes from never exponentiating a large positive number, not from limiting "
            "z.",
            '''
def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.clip(z, -20, 20)
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)
''',
        ),
    },
    "tanh_derivative": {
        # 1 - z**2 is the derivative in terms of the output tanh(z), applied to z
        "forgot_tanh": Misconception(
            "1 - t**2 is tanh's derivative in terms of its output t = tanh(z); the function "
            "receives z, so the square is of tanh(z), not of z.",
            '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - z**2
''',
        ),
        # forgot the square
        "forgot_square": Misconception(
            "The derivative of tanh is 1 - tanh(z)**2, with the tanh squared: 1 - tanh(z) is not "
            "even symmetric in z, while tanh' is.",
            '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z)
''',
        ),
        # sech(z) instead of sech(z)**2
        "sech_not_squared": Misconception(
            "tanh'(z) = sech(z)**2 = 1 / cosh(z)**2: the hyperbolic secant must be squared, 1 / "
            "cosh(z) alone is not the derivative.",
            '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 / np.cosh(z)
''',
        ),
        # squared the input instead of the tanh
        "square_inside": Misconception(
            "The derivative is 1 minus the square of tanh(z), (tanh z)**2: the square applies to "
            "the tanh's output, not to its input z.",
            '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z**2)
''',
        ),
    },
    "relu": {
        # derivative 1 at exactly 0
        "derivative_one_at_zero": Misconception(
            "ReLU is not differentiable at 0; the convention here (as in PyTorch) is a derivative "
            "of 0 at z = 0, so only strictly positive inputs get derivative 1.",
            '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z >= 0).astype(z.dtype)
''',
        ),
        # modifies the caller's array
        "in_place": Misconception(
            "relu must leave its input unchanged: assigning into z[z < 0] modifies the caller's "
            "array, which may still be needed (for instance by the backward pass).",
            '''
def relu(z: np.ndarray) -> np.ndarray:
    z[z < 0] = 0
    return z


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(float)
''',
        ),
        # np.max reduces along axis 0 instead of comparing elementwise
        "np_max_instead_of_maximum": Misconception(
            "`np.max(z, 0)` is a reduction along axis 0 (the largest value of each column); ReLU "
            "needs the elementwise maximum of z and 0, which is `np.maximum`.",
            '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.max(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.0)
''',
        ),
        # heaviside with value 0.5 at 0
        "heaviside_half": Misconception(
            "`np.heaviside(z, 0.5)` sets the derivative at exactly 0 to 0.5; the convention for "
            "ReLU's derivative at its kink is 0.",
            '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, 0.0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.heaviside(z, 0.5)
''',
        ),
        # the derivative is -1 for negative inputs
        "derivative_sign": Misconception(
            "ReLU is flat for negative inputs, so its derivative there is 0, not -1: `np.sign` is "
            "the derivative of |z|, not of max(z, 0).",
            '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.sign(z)
''',
        ),
    },
    "leaky_relu": {
        # derivative 1 at exactly 0 (should be alpha)
        "derivative_one_at_zero": Misconception(
            "Leaky ReLU's derivative at exactly 0 is alpha by convention (z <= 0 is the leaky "
            "side): only strictly positive inputs get derivative 1.",
            '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z >= 0, 1.0, alpha)
''',
        ),
        # alpha hard-coded to 0.01
        "hard_coded_alpha": Misconception(
            "`alpha` is a parameter: the negative-side slope and the derivative must use the "
            "value passed in, 0.01 is only its default.",
            '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, 0.01 * z)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.01)
''',
        ),
        # max(z, alpha) instead of max(z, alpha * z)
        "max_with_alpha": Misconception(
            "Leaky ReLU scales negative inputs by alpha (alpha * z); `np.maximum(z, alpha)` "
            "instead replaces everything below alpha with the constant alpha.",
            '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.maximum(z, alpha)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, alpha)
''',
        ),
        # derivative copied from relu
        "relu_derivative_copied": Misconception(
            "Unlike ReLU, leaky ReLU has slope alpha for z <= 0, so its derivative there is "
            "alpha, not 0: that small nonzero gradient is the point of the leak.",
            '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return (z > 0).astype(float)
''',
        ),
        # the constant alpha instead of alpha * z for negative inputs
        "constant_alpha": Misconception(
            "For z <= 0 leaky ReLU outputs alpha * z, a line of slope alpha through 0, not the "
            "constant alpha.",
            '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, z, alpha)


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, alpha)
''',
        ),
    },
    "softmax": {
        # no max shift: nan for large logits
        "no_max_shift": Misconception(
            "Softmax is unchanged by subtracting a constant from every logit; subtracting the "
            "row's maximum keeps exp from overflowing on large logits.",
            '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)
''',
        ),
        # normalises the columns instead of the rows
        "wrong_axis": Misconception(
            "Each row of Z is one sample, so softmax normalises along axis 1, over the classes; "
            "normalising the columns mixes different samples.",
            '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
''',
        ),
        # the batch maximum: rows far below it underflow to 0 / 0
        "global_max": Misconception(
            "The stabilising shift is per row: subtracting the whole batch's maximum lets a row "
            "far below it underflow to all zeros, and 0 / 0 is nan.",
            '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max())
    return e / e.sum(axis=1, keepdims=True)
''',
        ),
        # shifts the caller's array in place
        "in_place_shift": Misconception(
            "softmax must leave Z unchanged: `Z -= ...` shifts the caller's array in place, the "
            "shifted logits belong in a new array.",
            '''
def softmax(Z: np.ndarray) -> np.ndarray:
    Z -= Z.max(axis=1, keepdims=True)
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)
''',
        ),
        # no keepdims: broadcasts along the wrong axis (error, or wrong when N == C)
        "missing_keepdims": Misconception(
            "Without keepdims the row maxima and sums have shape (N,), which broadcasts against "
            "the class axis of an (N, C) array instead of along the rows.",
            '''
def softmax(Z: np.ndarray) -> np.ndarray:
    e = np.exp(Z - Z.max(axis=1))
    return e / e.sum(axis=1)
''',
        ),
    },
    "mlp_forward": {
        # activation after the last layer as well
        "activation_on_last_layer": Misconception(
            "The last layer is linear: it returns the logits, so no activation follows it (the "
            "loss applies softmax or sigmoid itself).",
            '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for W, b in zip(weights, biases):
        H = activation(H @ W + b)
    return H
''',
        ),
        # biases ignored
        "forgot_bias": Misconception(
            "Every layer is affine, H @ W + b: the biases are part of each layer, not optional.",
            '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for i, W in enumerate(weights):
        H = H @ W
        if i < len(weights) - 1:
            H = activation(H)
    return H
''',
        ),
        # only works for exactly two layers
        "two_layers_hard_coded": Misconception(
            "The network has any number L >= 1 of layers, given by the lengths of `weights` and "
            "`biases`: the forward pass must go through all of them, not assume two.",
            '''
def mlp_forward(X, weights, biases, activation):
    hidden = activation(X @ weights[0] + biases[0])
    return hidden @ weights[1] + biases[1]
''',
        ),
        # activation before every layer, including on the raw inputs
        "activation_on_inputs": Misconception(
            "The activation follows each hidden layer's affine map: it is not applied to the raw "
            "inputs X, and the output layer's logits stay linear.",
            '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for W, b in zip(weights, biases):
        H = activation(H) @ W + b
    return H
''',
        ),
        # loop stops one layer early
        "off_by_one": Misconception(
            "All L layers run, the last (linear) one included, since it produces the logits; "
            "stopping one layer early returns hidden activations instead.",
            '''
def mlp_forward(X, weights, biases, activation):
    H = X
    for i in range(len(weights) - 1):
        H = activation(H @ weights[i] + biases[i])
    return H
''',
        ),
    },
    "mse_loss": {
        # sum instead of mean
        "sum": Misconception(
            "The mean squared error averages over all elements: a sum grows with the batch size, "
            "so the loss (and its gradient's scale) would depend on N.",
            '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.sum((pred - target) ** 2))
''',
        ),
        # the 1/2 convention of some textbooks
        "half_mse": Misconception(
            "This loss is the plain mean of the squared errors, like torch.nn.MSELoss(); the 1/2 "
            "factor of some textbooks is a different convention that halves the value.",
            '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return 0.5 * float(np.mean((pred - target) ** 2))
''',
        ),
        # divides by the batch size only (right for (N,), wrong for (N, D))
        "divide_by_batch_size": Misconception(
            "The mean is over all elements, not only the rows: for (N, D) predictions, dividing "
            "the sum by N gives a value D times too large.",
            '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.sum((pred - target) ** 2) / len(pred)
''',
        ),
        # square of the mean error
        "square_of_mean": Misconception(
            "Square each error first, then average: squaring the mean error lets positive and "
            "negative errors cancel out.",
            '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.mean(pred - target) ** 2
''',
        ),
        # mean absolute error
        "absolute_error": Misconception(
            "That is the mean absolute error (L1 loss); MSE squares the errors, which penalises "
            "large errors more and is smooth at 0.",
            '''
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return np.mean(np.abs(pred - target))
''',
        ),
    },
    "binary_cross_entropy_with_logits": {
        # sigmoid first, then log: inf / nan for large |z|
        "naive_probabilities": Misconception(
            "Computing sigmoid(z) and then its log breaks for large |z|: the sigmoid rounds to "
            "exactly 0 or 1 and the log gives -inf. Working from the logits directly keeps the "
            "loss finite.",
            '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
''',
        ),
        # clipped probabilities: finite, but the loss is capped at about 16
        "clipped_probabilities": Misconception(
            "Clipping the probabilities keeps the loss finite but wrong: a confidently wrong "
            "logit (z = -1000 with y = 1) should cost about 1000, not about 16.",
            '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
''',
        ),
        # softplus(z) - z*y with a softplus that overflows for z = 1000
        "softplus_overflows": Misconception(
            "log(1 + exp(z)) is right mathematically, but exp(z) overflows for large z; a stable "
            "softplus is rewritten so that it only exponentiates -|z|.",
            '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.log1p(np.exp(z)) - z * y))
''',
        ),
        # sign error on the z * y term
        "sign_error": Misconception(
            "The loss from logits is softplus(z) - z * y: the label term is subtracted, and with "
            "+ z * y the loss rewards wrong predictions.",
            '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z)))))
''',
        ),
        # sum over the batch instead of the mean
        "summed": Misconception(
            "The loss is the mean over the batch, not the sum: a summed loss grows with the batch "
            "size.",
            '''
def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
''',
        ),
    },
    "softmax_cross_entropy": {
        # no log-sum-exp: inf / nan for huge logits
        "naive_softmax_log": Misconception(
            "exp of a huge logit overflows and the probabilities become nan: compute "
            "log-probabilities with log-sum-exp, shifting each row by its maximum, rather than "
            "the log of a softmax.",
            '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
''',
        ),
        # stable softmax, then log: a probability that underflows to 0 gives inf
        "stable_softmax_then_log": Misconception(
            "Even a stable softmax underflows: a very unlikely class gets probability exactly 0, "
            "and log(0) = -inf. Log-probabilities are computed directly as logit minus "
            "log-sum-exp.",
            '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))
''',
        ),
        # sum over the batch instead of the mean
        "summed": Misconception(
            "The cross-entropy of a batch is the mean over its samples, not the sum: a summed "
            "loss grows with the batch size.",
            '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.sum(lse - logits[np.arange(len(labels)), labels]))
''',
        ),
        # logits[:, labels] is an (N, N) matrix
        "column_indexing": Misconception(
            "`logits[:, labels]` takes every label's column for every sample (an N x N matrix); "
            "each sample needs only its own label's logit, indexed by row and label together.",
            '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[:, labels]))
''',
        ),
        # log-sum-exp without adding the maximum back
        "lse_forgot_max": Misconception(
            "log-sum-exp is m + log(sum(exp(z - m))): the row maximum m subtracted for stability "
            "must be added back, or every sample's loss is off by m.",
            '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - logits[np.arange(len(labels)), labels]))
''',
        ),
        # one-hot version averaged over all N * C entries
        "one_hot_mean_over_classes": Misconception(
            "With one-hot labels, taking the mean over all N * C entries also divides by the "
            "number of classes C: the loss sums over the classes and averages over the samples "
            "only.",
            '''
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    m = logits.max(axis=1, keepdims=True)
    log_probs = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    one_hot = np.eye(logits.shape[1])[labels]
    return float(-np.mean(one_hot * log_probs))
''',
        ),
    },
    "relu_interpolant": {
        # the slopes themselves as output weights (not their changes)
        "slopes_as_weights": Misconception(
            "Each unit relu(x - knots[i]) adds slope from knot i onward and the units add up, so "
            "its output weight is the change of slope at that knot, not the slope itself.",
            '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = slopes[:, None]
    b2 = values[:1]
    return w1, b1, w2, b2
''',
        ),
        # forgot the output bias values[0]
        "forgot_output_bias": Misconception(
            "All the ReLU units are 0 at the first knot, so the network's value there is the "
            "output bias alone: it must equal the first value for the curve to pass through that "
            "point.",
            '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    b2 = np.zeros(1)
    return w1, b1, w2, b2
''',
        ),
        # relu(x + knot) instead of relu(x - knot)
        "bias_sign": Misconception(
            "Unit i should switch on at knots[i], so relu(x - knots[i]) needs the bias -knots[i]; "
            "a bias of +knots[i] moves its kink to -knots[i].",
            '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = knots[:-1].copy()
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        ),
        # slopes without dividing by the knot spacing
        "unscaled_slopes": Misconception(
            "A slope is rise over run: the differences of the values must be divided by the "
            "spacing of the knots, otherwise it is only right for knots 1 apart.",
            '''
def relu_interpolant(knots, values):
    slopes = np.diff(values)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])[:, None]
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        ),
        # output weights as a flat (K-1,) vector instead of a (K-1, 1) column
        "flat_output_weights": Misconception(
            "w2 is a weight matrix of shape (K-1, 1) mapping the K-1 hidden units to one output; "
            "a flat (K-1,) vector makes the network's output (M,) instead of (M, 1).",
            '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots) - 1))
    b1 = -knots[:-1]
    w2 = np.concatenate([slopes[:1], np.diff(slopes)])
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        ),
        # one unit per knot, the last one included
        "unit_at_every_knot": Misconception(
            "K knots need only K-1 hidden units, one at the start of each segment: a unit at the "
            "last knot is never used and gives shapes (1, K) instead of (1, K-1).",
            '''
def relu_interpolant(knots, values):
    slopes = np.diff(values) / np.diff(knots)
    w1 = np.ones((1, len(knots)))
    b1 = -knots
    w2 = np.concatenate([slopes[:1], np.diff(slopes), [0.0]])[:, None]
    b2 = values[:1].copy()
    return w1, b1, w2, b2
''',
        ),
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
BUGGY["perceptron_predict"]["isclose_counts_as_boundary"] = Misconception(
    "Only a score of exactly 0 lies on the boundary: `np.isclose` treats a tiny negative score "
    "such as -1e-12 as 0 and labels it +1, though the point is on the negative side.",
    '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    scores = X @ w + b
    return np.where((scores > 0) | np.isclose(scores, 0), 1, -1)
''',
)
BUGGY["perceptron_train"]["isclose_margin_is_mistake"] = Misconception(
    "A mistake is a margin <= 0 exactly: `np.isclose` also counts a tiny positive margin (like "
    "1e-12) as a mistake, so correctly classified samples trigger updates.",
    '''
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
''',
)

# Issue 17: integer-dtype inputs (the docstrings allow arrays of numbers: np.int64 X). An
# in-place update of an integer array with a float raises a casting error: the hidden
# "integer X" cases (int64 X and w with a fractional bias; int64 X in training).
BUGGY["perceptron_predict"]["in_place_bias_add"] = Misconception(
    "An in-place `+=` keeps the array's dtype: with integer inputs `X @ w` is an integer array, "
    "and adding a fractional bias into it fails. An out-of-place sum lets NumPy promote to float.",
    '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    scores = X @ w
    scores += b
    return np.where(scores >= 0, 1, -1)
''',
)
BUGGY["perceptron_train"]["weights_in_input_dtype"] = Misconception(
    "The weights are real numbers even when X holds integers: creating w in X's dtype makes it an "
    "integer array, which cannot hold the fractional updates lr * y_i * x_i.",
    '''
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
''',
)
# slopes stored in an array of the inputs' dtype: truncated for integer knots and values
BUGGY["relu_interpolant"]["output_weights_in_input_dtype"] = Misconception(
    "The slopes are fractions even when knots and values are integers: an array created in the "
    "inputs' dtype (such as `np.zeros_like(values)`) truncates them.",
    '''
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
''',
)
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
BUGGY["perceptron_predict"]["float_labels"] = Misconception(
    "The predictions are an integer array of -1 and +1: float labels -1.0 and 1.0 compare equal "
    "but have the wrong dtype for class labels.",
    '''
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w + b >= 0, 1.0, -1.0)
''',
)
BUGGY["perceptron_train"]["float_mistake_counts"] = Misconception(
    "`mistakes` holds counts, so it is an integer array: a float array of whole numbers has the "
    "right values but the wrong dtype for counts.",
    '''
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
''',
)
BUGGY["relu"]["boolean_derivative"] = Misconception(
    "The derivative is a float array of 1.0 and 0.0, not a boolean mask: True and False compare "
    "equal to 1 and 0 but have the wrong dtype for a gradient.",
    '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return z > 0
''',
)
BUGGY["relu"]["integer_derivative"] = Misconception(
    "The derivative is a float array in z's dtype: an integer array of 0 and 1 has equal values "
    "but the wrong dtype for a gradient.",
    '''
def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(int)
''',
)

# Issue 17: "any shape" includes a 0-d array. np.atleast_1d (added so that boolean masks
# "work on scalars") returns shape (1,) for it: the hidden "0-d array" cases.
BUGGY["sigmoid"]["atleast_1d_masks"] = Misconception(
    "\"Any shape\" includes a 0-d array: `np.atleast_1d` turns it into shape (1,), so the result "
    "no longer has the input's shape. An elementwise function must return exactly the shape it "
    "was given.",
    '''
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
''',
)
BUGGY["tanh_derivative"]["atleast_1d"] = Misconception(
    "\"Any shape\" includes a 0-d array: `np.atleast_1d` turns it into shape (1,), so the result "
    "no longer has the input's shape. An elementwise function must return exactly the shape it "
    "was given.",
    '''
def tanh_derivative(z: np.ndarray) -> np.ndarray:
    t = np.tanh(np.atleast_1d(z))
    return 1 - t * t
''',
)
BUGGY["relu"]["atleast_1d_masks"] = Misconception(
    "\"Any shape\" includes a 0-d array: `np.atleast_1d` turns it into shape (1,), so the result "
    "no longer has the input's shape. An elementwise function must return exactly the shape it "
    "was given.",
    '''
def relu(z: np.ndarray) -> np.ndarray:
    out = np.atleast_1d(z).copy()
    out[out < 0] = 0
    return out


def relu_derivative(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)
''',
)
BUGGY["leaky_relu"]["atleast_1d_masks"] = Misconception(
    "\"Any shape\" includes a 0-d array: `np.atleast_1d` turns it into shape (1,), so the result "
    "no longer has the input's shape. An elementwise function must return exactly the shape it "
    "was given.",
    '''
def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    out = np.atleast_1d(z).copy()
    out[out <= 0] *= alpha
    return out


def leaky_relu_derivative(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    d = np.ones(np.shape(z))
    d[z <= 0] = alpha
    return d
''',
)
