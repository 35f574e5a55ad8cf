"""Realistic buggy and correct alternative implementations of assignment 02's exercises.

Each entry maps a solution cell's grade_id to {variant name: the full source a student might
put in that cell}. The grading tests (tests/test_grading.py) fill a copy of the student
notebook with the reference solutions, replace one cell with a variant, autograde it with
nbgrader and check: a buggy variant loses points on that exercise and only that one; a
correct variant keeps full marks.

Every buggy variant gives a wrong result (or an error, or modifies its input) on at least one
hidden case; the comment before each name says where. The correct alternatives differ from
the reference in formula, vectorisation or style, and agree with it within the grading
tolerance in float64 and float32.

A cell's source must define everything its reference cell defines, since the whole cell is
replaced: the ``value`` variants are therefore assembled by ``_value_cell`` from the parts
of the class that the notebook provides (kept verbatim) and the student's methods.
"""

from dlcourse.grader.variants import Misconception

BUGGY: dict[str, dict[str, str]] = {
    "linear": {
        # dx = dout @ W: a shape error, or wrong values on the square-matrix cases
        "dx_without_transpose": Misconception(
            "The input gradient has x's shape (N, D): going backwards through x @ W multiplies "
            "dout by the transpose of W, which maps the M outputs back to the D inputs.",
            '''
def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dx = dout @ W if need_dx else None
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
''',
        ),
        # dW = dout.T @ x has the shape of W.T: a shape error, or wrong values on square cases
        "transposed_weight_gradient": Misconception(
            "dW has W's shape (D, M): entry (d, m) sums x[n, d] * dout[n, m] over the batch, "
            "which is x transposed times dout, not dout transposed times x.",
            '''
def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dx = dout @ W.T if need_dx else None
    dW = dout.T @ x
    db = dout.sum(axis=0)
    return dx, dW, db
''',
        ),
        # db averaged over the batch: every case with N > 1
        "bias_gradient_mean": Misconception(
            "The bias is added to every sample, so its gradient sums dout over the batch; the "
            "averaging over N is already in the loss's gradient.",
            '''
def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dx = dout @ W.T if need_dx else None
    dW = x.T @ dout
    db = dout.mean(axis=0)
    return dx, dW, db
''',
        ),
        # db = dout[0], the first sample only: every case with N > 1
        "bias_gradient_first_row": Misconception(
            "The bias is shared by all N samples, so every sample's upstream gradient contributes "
            "to db: it sums dout over the batch axis, not just the first row.",
            '''
def linear_forward(x, W, b):
    out = np.dot(x, W) + b
    return out, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dx = np.dot(dout, W.T) if need_dx else None
    dW = np.dot(x.T, dout)
    db = dout[0]
    return dx, dW, db
''',
        ),
        # need_dx ignored, dx returned instead of None: the need_dx=False cases
        "ignores_need_dx": Misconception(
            "With need_dx=False the layer skips the input gradient and returns None in its place "
            "(the first layer of a network does not need it).",
            '''
def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
''',
        ),
        # dW and db divided by N again (the loss already did): every case with N > 1
        "divides_by_batch_size": Misconception(
            "A layer's backward pass only applies the chain rule: the 1/N of a mean loss is "
            "already in dout, so dividing dW and db by N again scales them down twice.",
            '''
def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    n = x.shape[0]
    dx = dout @ W.T if need_dx else None
    dW = x.T @ dout / n
    db = dout.sum(axis=0) / n
    return dx, dW, db
''',
        ),
    },
    "sigmoid_tanh_layers": {
        # exp(x) / (1 + exp(x)) is inf / inf = nan for x = 1000: the extreme inputs
        "sigmoid_exp_ratio_overflows": Misconception(
            "exp(x) / (1 + exp(x)) overflows for large x (inf / inf = nan); a stable sigmoid "
            "never exponentiates a large positive number.",
            '''
def sigmoid_forward(x):
    ex = np.exp(x)
    out = ex / (1 + ex)
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
''',
        ),
        # sigmoid_backward applies the sigmoid to the cached output again: every case
        "sigmoid_backward_cache_as_input": Misconception(
            "The cache holds the sigmoid's output, not its input: the local gradient out * (1 - "
            "out) uses it directly, and applying the sigmoid to it again evaluates the slope at "
            "the wrong point.",
            '''
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0, -x))
    return out, out


def sigmoid_backward(dout, cache):
    s = 1 / (1 + np.exp(-cache))
    return dout * s * (1 - s)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
''',
        ),
        # caches x, not the output (backward recomputes): the forward cases, every backward case
        "sigmoid_caches_input": Misconception(
            "sigmoid_forward caches its output: the backward pass needs only out, since the "
            "sigmoid's derivative is out * (1 - out), and other code relies on what the cache "
            "holds.",
            '''
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0, -x))
    return out, x


def sigmoid_backward(dout, cache):
    s = np.exp(-np.logaddexp(0, -cache))
    return dout * s * (1 - s)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
''',
        ),
        # 1 - out instead of 1 - out**2: every tanh_backward case
        "tanh_backward_forgot_square": Misconception(
            "tanh's derivative is 1 - tanh(x)**2: with the cached output out = tanh(x), the local "
            "gradient squares it, and 1 - out is not the slope of tanh.",
            '''
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0, -x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache)
''',
        ),
        # tanh_backward applies tanh to the cached output again: every tanh_backward case
        "tanh_backward_cache_as_input": Misconception(
            "The cache already holds tanh(x), the layer's output: applying tanh to it again "
            "evaluates the derivative at the wrong point.",
            '''
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0, -x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - np.tanh(cache) ** 2)
''',
        ),
    },
    "relu_layers": {
        # dout * out instead of the mask x > 0: every relu_backward case
        "relu_backward_scales_by_output": Misconception(
            "ReLU's local gradient is a 0/1 mask (1 where x > 0): backward passes dout through "
            "unchanged or zeroes it, while multiplying by the output max(x, 0) rescales it.",
            '''
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * np.maximum(cache, 0)


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''',
        ),
        # mask x >= 0, gradient 1 at the kink x = 0: the cases with exact zeros
        "relu_mask_includes_zero": Misconception(
            "ReLU's gradient at exactly 0 is 0 by convention: only a strictly positive input "
            "passes the upstream gradient through.",
            '''
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache >= 0)


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''',
        ),
        # zeroes the caller's dout in place: the inputs-unchanged check of every case
        "relu_backward_modifies_dout": Misconception(
            "A backward pass must not modify dout in place: the upstream gradient belongs to the "
            "caller, who may still use it, so the result goes in a new array.",
            '''
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    dout[cache <= 0] = 0
    return dout


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''',
        ),
        # ignores the cached alpha and uses 0.01: the leaky_relu_backward cases with alpha 0.2
        "leaky_backward_hard_coded_alpha": Misconception(
            "The slope alpha is a parameter of the layer, stored in the cache by the forward "
            "pass: the backward pass uses that alpha, not the default 0.01.",
            '''
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0)


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, _ = cache
    return np.where(x > 0, dout, 0.01 * dout)
''',
        ),
        # dout unscaled at x = 0 (should be alpha * dout): the cases with exact zeros
        "leaky_backward_one_at_zero": Misconception(
            "Leaky ReLU's gradient at exactly x = 0 is alpha (x <= 0 is the leaky side): only "
            "strictly positive inputs pass dout unscaled.",
            '''
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0)


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x >= 0, dout, alpha * dout)
''',
        ),
    },
    "softmax_cross_entropy": {
        # no max shift, exp(1000) overflows: the huge-scores cases
        "no_max_shift": Misconception(
            "Softmax is unchanged by subtracting a constant from every logit; subtracting the "
            "row's maximum keeps exp from overflowing on large logits.",
            '''
def softmax_cross_entropy(scores, y):
    n = scores.shape[0]
    exp_scores = np.exp(scores)
    probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
''',
        ),
        # log of a stable softmax: a probability that underflows to 0 gives inf (huge scores)
        "log_of_stable_softmax": Misconception(
            "Even a stable softmax underflows for large score gaps: a probability of exactly 0 "
            "makes the loss infinite. Log-probabilities are computed directly, as shifted scores "
            "minus their log-sum-exp.",
            '''
def softmax_cross_entropy(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
''',
        ),
        # dscores not divided by N: every case with N > 1
        "gradient_not_divided_by_n": Misconception(
            "The loss is the mean over the N samples, so the gradient of each sample's term, "
            "softmax minus one-hot, carries the factor 1/N.",
            '''
def softmax_cross_entropy(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores
''',
        ),
        # loss summed over the batch instead of averaged: every case with N > 1
        "loss_summed": Misconception(
            "The loss is the mean of the per-sample cross-entropies, not their sum; its gradient "
            "(softmax - onehot) / N is that of the mean, and the two must match.",
            '''
def softmax_cross_entropy(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].sum()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
''',
        ),
        # shifts the caller's scores in place: the inputs-unchanged check of every case
        "shifts_scores_in_place": Misconception(
            "The stabilising shift must not modify the caller's scores: `scores -= ...` changes "
            "them in place, the shifted scores belong in a new array.",
            '''
def softmax_cross_entropy(scores, y):
    n = scores.shape[0]
    scores -= scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
''',
        ),
    },
    "mse_loss": {
        # divides by the number of rows, not of elements: the 2-D cases
        "divides_by_rows": Misconception(
            "The mean is over all elements, not only the N rows: for (N, D) predictions both the "
            "loss and its gradient divide by N * D.",
            '''
def mse_loss(pred, target):
    diff = pred - target
    n = len(pred)
    return float(np.sum(diff**2) / n), 2 * diff / n
''',
        ),
        # gradient without the factor 2: every case
        "gradient_missing_factor_2": Misconception(
            "The derivative of (pred - target)**2 brings down a factor 2 (the power rule), before "
            "the mean divides by the number of elements.",
            '''
def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff**2)), diff / diff.size
''',
        ),
        # gradient of the sum, not of the mean: every case with more than one element
        "gradient_not_averaged": Misconception(
            "The loss is a mean, so its gradient carries the factor 1 / (number of elements); 2 * "
            "(pred - target) is the gradient of the sum.",
            '''
def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff**2)), 2 * diff
''',
        ),
        # gradient written as 2 (target - pred): every case
        "gradient_sign_flipped": Misconception(
            "The loss grows as pred moves away from target, so its gradient with respect to pred "
            "points along pred - target; target - pred has the wrong sign.",
            '''
def mse_loss(pred, target):
    diff = target - pred
    return float(np.mean(diff**2)), 2 * diff / diff.size
''',
        ),
        # the 1/2 convention of some textbooks, in the loss and the gradient: every case
        "half_mse_convention": Misconception(
            "This loss is the plain mean of the squared errors, like torch.nn.MSELoss(); the "
            "textbook 1/2 factor is another convention that halves both the loss and its "
            "gradient.",
            '''
def mse_loss(pred, target):
    diff = pred - target
    return 0.5 * float(np.mean(diff**2)), diff / diff.size
''',
        ),
    },
    "binary_cross_entropy_with_logits": {
        # y - sigmoid(z) instead of sigmoid(z) - y: every case
        "gradient_sign_flipped": Misconception(
            "The gradient with respect to z is (sigmoid(z) - y) / N: the loss grows with z when y "
            "= 0, so the gradient is positive there, and y - sigmoid(z) points the wrong way.",
            '''
def binary_cross_entropy_with_logits(z, y):
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    probs = np.exp(-np.logaddexp(0, -z))
    return float(np.mean(losses)), (y - probs) / len(z)
''',
        ),
        # dz not divided by N: every case with N > 1
        "gradient_not_divided_by_n": Misconception(
            "The loss averages over the N samples, so each sample's gradient sigmoid(z) - y is "
            "divided by N.",
            '''
def binary_cross_entropy_with_logits(z, y):
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    probs = np.exp(-np.logaddexp(0, -z))
    return float(np.mean(losses)), probs - y
''',
        ),
        # sigmoid first, then log: log(0) = -inf for large |z| (|z| up to 1000, float32)
        "log_of_naive_sigmoid": Misconception(
            "Taking the log of a computed sigmoid breaks for large |z|: the sigmoid rounds to "
            "exactly 0 or 1 and the log is -inf. The loss is computed from the logits with a "
            "stable softplus.",
            '''
def binary_cross_entropy_with_logits(z, y):
    p = 1 / (1 + np.exp(-z))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(loss), (p - y) / len(z)
''',
        ),
        # stable loss, but exp(z) / (1 + exp(z)) in dz: nan for z = 1000 (|z| up to 1000)
        "gradient_sigmoid_overflows": Misconception(
            "The gradient needs a stable sigmoid too: exp(z) / (1 + exp(z)) is inf / inf = nan "
            "for large z.",
            '''
def binary_cross_entropy_with_logits(z, y):
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    probs = np.exp(z) / (1 + np.exp(z))
    return float(np.mean(losses)), (probs - y) / len(z)
''',
        ),
        # loss summed over the batch instead of averaged: every case with N > 1
        "loss_summed": Misconception(
            "The loss is the mean over the N samples, not their sum: it must match its gradient, "
            "which divides by N.",
            '''
def binary_cross_entropy_with_logits(z, y):
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    probs = np.exp(-np.logaddexp(0, -z))
    return float(np.sum(losses)), (probs - y) / len(z)
''',
        ),
    },
    "numerical_gradient": {
        # one-sided difference (f(x + h) - f(x)) / h, an error of order h: every case
        "one_sided_difference": Misconception(
            "A one-sided difference (f(x + h) - f(x)) / h has an error of order h; the central "
            "difference, using f(x + h) and f(x - h), is accurate to order h**2.",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = old
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))
''',
        ),
        # central difference divided by h instead of 2h: every case
        "divides_by_h": Misconception(
            "The central difference spans from x - h to x + h, a distance of 2h, so the change in "
            "f is divided by 2h, not h.",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / h
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))
''',
        ),
        # never restores x (left shifted by -h): the inputs-unchanged check of every case
        "forgets_to_restore_x": Misconception(
            "Each perturbed entry must get its original value back after f is evaluated: "
            "otherwise later entries see a shifted x and the caller's x is left modified.",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))
''',
        ),
        # perturbs x[i], a whole row of a 2-D x: the 2-D and 3-D cases (an error for 0-d x)
        "perturbs_whole_rows": Misconception(
            "The gradient has one partial derivative per entry: perturb a single element at a "
            "time, over every index of an array of any shape, not a whole row at once.",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))
''',
        ),
        # relative_error without abs in the denominator: the cases with flipped signs
        "relative_error_signed_denominator": Misconception(
            "The denominator is |a| + |b|: without the absolute values, entries of opposite signs "
            "make it small or negative and the relative error meaningless.",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.max(np.abs(a - b) / np.maximum(eps, a + b)))
''',
        ),
        # relative_error averages instead of taking the worst entry: every random case
        "relative_error_mean": Misconception(
            "The relative error reports the worst entry (the maximum), so that one wrong gradient "
            "entry is not hidden by averaging it with many good ones.",
            '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.mean(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))
''',
        ),
    },
    "mlp_loss": {
        # calls linear_forward / linear_backward directly: the "different linear layer" case
        "ignores_linear_argument": Misconception(
            "The layers come from the `linear` argument, a (forward, backward) pair: calling "
            "linear_forward and linear_backward directly ignores a different layer that the "
            "caller passes in.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    n_layers = len(params) // 2
    h = X
    caches = []
    for layer in range(1, n_layers + 1):
        h, cache = linear_forward(h, params[f"W{layer}"], params[f"b{layer}"])
        caches.append(cache)
        if layer < n_layers:
            h, cache = act_forward(h)
            caches.append(cache)
    if y is None:
        return h
    total, dh = loss(h, y)
    grads = {}
    for layer in range(n_layers, 0, -1):
        if layer < n_layers:
            dh = act_backward(dh, caches.pop())
        dh, dW, db = linear_backward(dh, caches.pop(), need_dx=layer > 1)
        W = params[f"W{layer}"]
        total += 0.5 * reg * float(np.sum(W * W))
        grads[f"W{layer}"], grads[f"b{layer}"] = dW + reg * W, db
    return total, grads
''',
        ),
        # biases regularized too: every case with reg > 0
        "regularizes_biases": Misconception(
            "The L2 penalty applies to the weights only: the biases are not regularized, neither "
            "in the loss nor in their gradients.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < n_layers:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.5 * reg * sum(np.sum(p**2) for p in params.values())
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < n_layers:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW + reg * params[f"W{l}"]
        grads[f"b{l}"] = db + reg * params[f"b{l}"]
    return float(data_loss + penalty), grads
''',
        ),
        # penalty reg * sum(W**2) without the 1/2, gradient reg * W: every case with reg > 0
        "penalty_without_half": Misconception(
            "The penalty is reg / 2 times the sum of squared weights, whose gradient is reg * W: "
            "without the 1/2 the loss is too large and no longer matches its gradient.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < n_layers:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, n_layers + 1))
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < n_layers:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW + reg * params[f"W{l}"]
        grads[f"b{l}"] = db
    return float(data_loss + penalty), grads
''',
        ),
        # reg added to the loss but not to dW: every case with reg > 0
        "forgets_reg_in_gradient": Misconception(
            "The gradients are those of the total loss: the L2 penalty reg / 2 * sum(W**2) adds "
            "reg * W to each weight's gradient, not only to the loss.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < n_layers:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.5 * reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, n_layers + 1))
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < n_layers:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW
        grads[f"b{l}"] = db
    return float(data_loss + penalty), grads
''',
        ),
        # activation after the last layer too (hidden by the visible identity): every case
        "activation_after_last_layer": Misconception(
            "The activation follows every linear layer except the last: the last layer returns "
            "the raw scores that the loss consumes.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.5 * reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, n_layers + 1))
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW + reg * params[f"W{l}"]
        grads[f"b{l}"] = db
    return float(data_loss + penalty), grads
''',
        ),
        # ignores `activation`, calls relu_forward/relu_backward itself: the tanh cases
        "calls_relu_directly": Misconception(
            "The activation comes from the `activation` argument, a (forward, backward) pair: "
            "calling relu directly ignores the one the caller passes, such as tanh.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < n_layers:
            h, act_cache = relu_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.5 * reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, n_layers + 1))
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < n_layers:
            dh = relu_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW + reg * params[f"W{l}"]
        grads[f"b{l}"] = db
    return float(data_loss + penalty), grads
''',
        ),
        # softmax probabilities instead of the scores for y=None: the y=None cases
        "returns_probabilities": Misconception(
            "With y=None the network returns the scores of its last layer, not probabilities: the "
            "softmax belongs to the loss, not to the network.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < n_layers:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        exp_scores = np.exp(h - h.max(axis=1, keepdims=True))
        return exp_scores / exp_scores.sum(axis=1, keepdims=True)
    data_loss, dh = loss(h, y)
    penalty = 0.5 * reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, n_layers + 1))
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < n_layers:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW + reg * params[f"W{l}"]
        grads[f"b{l}"] = db
    return float(data_loss + penalty), grads
''',
        ),
        # written for exactly two layers, the visible test's depth: the depth 1, 3, 4 cases
        "two_layers_hard_coded": Misconception(
            "The network has L layers, one per (W, b) pair in params: forward and backward passes "
            "go through all of them rather than assuming two.",
            '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1, cache1 = lin_forward(X, W1, b1)
    h1, act_cache = act_forward(z1)
    scores, cache2 = lin_forward(h1, W2, b2)
    if y is None:
        return scores
    data_loss, dscores = loss(scores, y)
    total = data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dh1, dW2, db2 = lin_backward(dscores, cache2)
    dz1 = act_backward(dh1, act_cache)
    _, dW1, db1 = lin_backward(dz1, cache1, need_dx=False)
    grads = {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}
    return float(total), grads
''',
        ),
    },
    "sgd_epoch": {
        # batches in stored order, `order` ignored: every case
        "ignores_order": Misconception(
            "`order` is the permutation to visit the samples in: the batches are consecutive "
            "slices of order, not of the stored data.",
            '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    losses = []
    for start in range(0, len(X), batch_size):
        X_batch, y_batch = X[start : start + batch_size], y[start : start + batch_size]
        loss, grads = loss_fn(params, X_batch, y_batch)
        losses.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return np.array(losses)
''',
        ),
        # N // B batches, the last partial one dropped: the cases where B does not divide N
        "drops_last_partial_batch": Misconception(
            "When the batch size does not divide N, the remaining samples form a last, smaller "
            "batch: every sample is used once per epoch.",
            '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    n_batches = len(order) // batch_size
    losses = np.zeros(n_batches)
    for k in range(n_batches):
        batch = order[k * batch_size : (k + 1) * batch_size]
        losses[k], grads = loss_fn(params, X[batch], y[batch])
        for name in params:
            params[name] -= lr * grads[name]
    return losses
''',
        ),
        # `params = {...}` rebinds the local name, the caller's dict is not updated: every case
        "rebinds_params_locally": Misconception(
            "Assigning a new dict to `params` only rebinds the local name, the caller's dict is "
            "unchanged: SGD updates the caller's parameter arrays in place.",
            '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        loss, grads = loss_fn(params, X[batch], y[batch])
        losses.append(loss)
        params = {name: params[name] - lr * grads[name] for name in params}
    return np.array(losses)
''',
        ),
        # loss recorded after the update (a second loss_fn call): every case
        "loss_after_update": Misconception(
            "Each batch's loss is the one computed before that batch's update, by the same "
            "loss_fn call that gives the gradients.",
            '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        _, grads = loss_fn(params, X[batch], y[batch])
        for name in params:
            params[name] -= lr * grads[name]
        loss, _ = loss_fn(params, X[batch], y[batch])
        losses.append(loss)
    return np.array(losses)
''',
        ),
        # ceil(N / B) balanced batches (N = 10, B = 4: 4, 3, 3, not 4, 4, 2): B not dividing N
        "array_split_balanced_batches": Misconception(
            "The batches are order[0:B], order[B:2B], ...: all of B samples except a possibly "
            "smaller last one; balancing their sizes changes which samples go together.",
            '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    n_batches = int(np.ceil(len(order) / batch_size))
    losses = []
    for batch in np.array_split(order, n_batches):
        loss, grads = loss_fn(params, X[batch], y[batch])
        losses.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return np.array(losses)
''',
        ),
    },
    # "value" is filled in below, once _value_cell is defined
}

CORRECT: dict[str, dict[str, str]] = {
    "linear": {
        "einsum": '''
def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    out = np.einsum("nd,dm->nm", x, W, optimize=True) + b
    return out, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dW = np.einsum("nd,nm->dm", x, dout, optimize=True)
    db = np.einsum("nm->m", dout)
    if not need_dx:
        return None, dW, db
    return np.einsum("nm,dm->nd", dout, W, optimize=True), dW, db
''',
        "dot_and_ones": '''
def linear_forward(x, W, b):
    out = np.dot(x, W)
    out = out + b[np.newaxis, :]
    return out, (x, W)


def linear_backward(dout, cache, need_dx=True):
    x, W = cache
    dx = None
    if need_dx:
        dx = np.dot(dout, np.transpose(W))
    dW = np.dot(np.transpose(x), dout)
    db = np.ones(dout.shape[0], dtype=dout.dtype) @ dout  # a sum over the rows
    return dx, dW, db
''',
    },
    "sigmoid_tanh_layers": {
        "where_branches": '''
def sigmoid_forward(x):
    e = np.exp(-np.abs(x))  # never overflows
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * (cache - cache * cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache) * (1 + cache)
''',
        "tanh_identity_and_expm1": '''
def sigmoid_forward(x):
    out = 0.5 * (1 + np.tanh(0.5 * x))  # sigmoid(x) = (1 + tanh(x / 2)) / 2
    return out, out


def sigmoid_backward(dout, cache):
    s = cache
    return s * (1 - s) * dout


def tanh_forward(x):
    # tanh(|x|) = (1 - exp(-2|x|)) / (1 + exp(-2|x|)), with expm1 for accuracy near 0
    e = np.exp(-2 * np.abs(x))
    out = np.sign(x) * (-np.expm1(-2 * np.abs(x))) / (1 + e)
    return out, out


def tanh_backward(dout, cache):
    return dout - dout * cache**2
''',
    },
    "relu_layers": {
        "mask_multiply": '''
def relu_forward(x):
    return x * (x > 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def leaky_relu_forward(x, alpha=0.01):
    return x * np.where(x > 0, 1.0, alpha), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha)
''',
        "masks_on_copies": '''
def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    return out, x


def relu_backward(dout, cache):
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx


def leaky_relu_forward(x, alpha=0.01):
    out = x.copy()
    out[x <= 0] *= alpha
    return out, (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = dout.copy()
    dx[x <= 0] *= alpha
    return dx
''',
    },
    "softmax_cross_entropy": {
        "logaddexp_one_hot": '''
def softmax_cross_entropy(scores, y):
    n, c = scores.shape
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    one_hot = np.eye(c)[y]
    loss = -np.sum(one_hot * log_probs) / n
    dscores = (np.exp(log_probs) - one_hot) / n
    return float(loss), dscores
''',
        "probabilities_and_log_sum": '''
def softmax_cross_entropy(scores, y):
    n = len(y)
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exp_shifted = np.exp(shifted)
    sums = exp_shifted.sum(axis=1)
    loss = np.mean(np.log(sums) - shifted[np.arange(n), y])
    dscores = exp_shifted / sums[:, None]
    dscores[np.arange(n), y] -= 1.0
    return float(loss), dscores / n
''',
    },
    "mse_loss": {
        "sum_over_size": '''
def mse_loss(pred, target):
    diff = pred - target
    k = diff.size
    return float(np.square(diff).sum() / k), (2 / k) * diff
''',
        "mean_of_squares": '''
def mse_loss(pred, target):
    loss = ((pred - target) ** 2).mean()
    dpred = 2 * (pred - target) / pred.size
    return float(loss), dpred
''',
    },
    "binary_cross_entropy_with_logits": {
        "logaddexp_and_where_sigmoid": '''
def binary_cross_entropy_with_logits(z, y):
    n = z.shape[0]
    loss = np.mean(np.logaddexp(0, z) - z * y)  # softplus(z) - z y
    e = np.exp(-np.abs(z))
    probs = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return float(loss), (probs - y) / n
''',
        "per_label_log_sigmoid": '''
def binary_cross_entropy_with_logits(z, y):
    log_p = -np.logaddexp(0, -z)  # log sigmoid(z)
    log_not_p = -np.logaddexp(0, z)  # log (1 - sigmoid(z))
    loss = -np.mean(y * log_p + (1 - y) * log_not_p)
    dz = (0.5 * (1 + np.tanh(0.5 * z)) - y) / len(z)
    return float(loss), dz
''',
    },
    "numerical_gradient": {
        "perturbs_copies": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[idx] += h
        x_minus[idx] -= h
        grad[idx] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))
''',
        "flat_index": '''
def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    grad = np.zeros_like(x, dtype=np.float64)
    for i in range(x.size):
        saved = x.flat[i]
        x.flat[i] = saved + h
        up = f(x)
        x.flat[i] = saved - h
        down = f(x)
        x.flat[i] = saved
        grad.flat[i] = (up - down) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    numerator = np.abs(a - b)
    denominator = np.clip(np.abs(a) + np.abs(b), eps, None)
    return float((numerator / denominator).max())
''',
        "nditer": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        original = float(x[idx])
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad


def relative_error(a, b, eps=1e-12):
    return float(np.amax(np.abs(a - b) / np.fmax(np.abs(a) + np.abs(b), eps)))
''',
    },
    "mlp_loss": {
        "cache_pairs_and_separate_penalty": '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    n_layers = len(params) // 2
    h = X
    caches = []
    for l in range(1, n_layers + 1):
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l < n_layers:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.5 * reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, n_layers + 1))
    grads = {}
    for l in range(n_layers, 0, -1):
        lin_cache, act_cache = caches[l - 1]
        if l < n_layers:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l > 1)
        grads[f"W{l}"] = dW + reg * params[f"W{l}"]
        grads[f"b{l}"] = db
    return float(data_loss + penalty), grads
''',
        "separate_cache_lists": '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    forward_act, backward_act = activation
    forward_lin, backward_lin = linear
    depth = sum(1 for key in params if key.startswith("W"))
    linear_caches, activation_caches = [], []
    scores = X
    for l in range(1, depth + 1):
        scores, cache = forward_lin(scores, params[f"W{l}"], params[f"b{l}"])
        linear_caches.append(cache)
        if l != depth:
            scores, cache = forward_act(scores)
            activation_caches.append(cache)
    if y is None:
        return scores
    total, upstream = loss(scores, y)
    grads = {}
    for l in reversed(range(1, depth + 1)):
        if l != depth:
            upstream = backward_act(upstream, activation_caches[l - 1])
        upstream, dW, db = backward_lin(upstream, linear_caches[l - 1], need_dx=(l != 1))
        W = params[f"W{l}"]
        if reg > 0:
            total = total + reg / 2 * np.einsum("ij,ij->", W, W)
            dW = dW + reg * W
        grads[f"W{l}"] = dW
        grads[f"b{l}"] = db
    return float(total), grads
''',
    },
    "sgd_epoch": {
        "split_and_reassign": '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    n = len(order)
    batches = np.split(order, np.arange(batch_size, n, batch_size))
    losses = np.zeros(len(batches))
    for k, batch in enumerate(batches):
        loss, grads = loss_fn(params, X[batch], y[batch])
        losses[k] = loss
        for name, grad in grads.items():
            params[name] = params[name] - lr * grad  # a new array in the caller's dict
    return losses
''',
        "while_loop_and_update": '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    losses = []
    start = 0
    while start < len(order):
        batch = order[start : start + batch_size]
        batch_loss, grads = loss_fn(params, X[batch], y[batch])
        params.update({k: params[k] - lr * g for k, g in grads.items()})
        losses.append(float(batch_loss))
        start += batch_size
    return np.asarray(losses)
''',
    },
    # "value" is filled in below, once _value_cell is defined
}


# ---------------------------------------------------------------------------- Value
# The parts of the Value cell that the notebook provides, verbatim: the class header with
# __init__ and __repr__, and after the student's methods the other operators and the
# function value_gradients.
_VALUE_HEAD = '''
class Value:
    """A scalar that records how it was computed, for reverse-mode automatic differentiation.

    Attributes:
        data: the value, a float.
        grad: d(output)/d(this value), accumulated by backward() of an output; starts at 0.
        _prev: the Values this one was computed from (its children in the graph).
        _backward: adds this node's contribution to the .grad of each child, using
            self.grad as the upstream gradient; does nothing for a leaf.
    """

    def __init__(self, data: float, _prev: tuple = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._op = _op  # the operation that made this node, for printing
        self._backward = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"
'''

_VALUE_PROVIDED = '''
    # Provided: the other operators, built from yours.
    def __neg__(self) -> "Value":
        return self * -1.0

    def __radd__(self, other: float) -> "Value":
        return self + other

    def __sub__(self, other: "Value | float") -> "Value":
        return self + (-other)

    def __rsub__(self, other: float) -> "Value":
        return (-self) + other

    def __rmul__(self, other: float) -> "Value":
        return self * other

    def __truediv__(self, other: "Value | float") -> "Value":
        return self * other**-1

    def __rtruediv__(self, other: float) -> "Value":
        return self**-1 * other


def value_gradients(expression: Callable[..., Value], inputs: list[float]) -> tuple[float, np.ndarray]:
    """Run the engine: make one leaf Value per input, evaluate expression(*leaves), call
    backward() on the result and return (its value, the leaves' gradients as an array).

    Provided (do not change it): the autograder calls it to test your Value class.
    """
    leaves = [Value(x) for x in inputs]
    result = expression(*leaves)
    result.backward()
    return result.data, np.array([leaf.grad for leaf in leaves])
'''  # noqa: E501

# The student's methods, one correct version of each; variants replace some of them.
_VALUE_METHODS = {
    "add": '''
    def __add__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
''',
    "mul": '''
    def __mul__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
''',
    "pow": '''
    def __pow__(self, exponent: float) -> "Value":
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out
''',
    "tanh": '''
    def tanh(self) -> "Value":
        t = float(np.tanh(self.data))
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out
''',
    "relu": '''
    def relu(self) -> "Value":
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out
''',
    "exp": '''
    def exp(self) -> "Value":
        out = Value(float(np.exp(self.data)), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
''',
    "log": '''
    def log(self) -> "Value":
        out = Value(float(np.log(self.data)), (self,), "log")

        def _backward():
            self.grad += (1 / self.data) * out.grad

        out._backward = _backward
        return out
''',
    "backward": '''
    def backward(self) -> None:
        topo, visited = [], set()

        def build(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    build(child)
                topo.append(node)

        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
''',
}


def _value_cell(**methods: str) -> str:
    """The full source of a Value cell: the provided parts, and the student's methods with
    ``methods`` (name in _VALUE_METHODS -> source) replacing the default ones."""
    assert set(methods) <= set(_VALUE_METHODS), set(methods) - set(_VALUE_METHODS)
    chosen = [methods.get(name, source) for name, source in _VALUE_METHODS.items()]
    return _VALUE_HEAD + "".join(chosen) + _VALUE_PROVIDED


BUGGY["value"] = {
    # `=` instead of `+=`: a value used twice keeps one contribution (polynomial, reuse)
    "assigns_instead_of_accumulating": Misconception(
        "A node used several times gets a gradient contribution from each use (the multivariable "
        "chain rule), so each _backward adds to .grad instead of overwriting it.",
        _value_cell().replace(".grad += ", ".grad = "),
    ),
    # relu's gradient passed at exactly 0 (mask >= 0): "relu at exactly 0" cases
    "relu_mask_at_zero": Misconception(
        "ReLU's gradient at exactly 0 is 0 by convention: only a strictly positive input passes "
        "the upstream gradient through.",
        _value_cell().replace(
            "(self.data > 0) * out.grad", "(self.data >= 0) * out.grad"
        ),
    ),
    # naive recursion from the output, no topological order: the reuse cases
    "naive_recursion": Misconception(
        "A node's _backward may run only once its own grad is complete, after every node that "
        "uses it: plain recursion from the output runs shared nodes too early and more than once.",
        _value_cell(
            backward='''
    def backward(self) -> None:
        self.grad = 1.0

        def propagate(node):
            node._backward()
            for child in node._prev:
                propagate(child)

        propagate(self)
'''
        ),
    ),
    # visited set, but _backward in pre-order, not reverse topological: the reuse cases
    "preorder_without_topological_sort": Misconception(
        "Visiting each node once is not enough: a node must run after every node that uses it "
        "(reverse topological order), or a shared node propagates an incomplete grad.",
        _value_cell(
            backward='''
    def backward(self) -> None:
        self.grad = 1.0
        visited = set()

        def propagate(node):
            if node in visited:
                return
            visited.add(node)
            node._backward()
            for child in node._prev:
                propagate(child)

        propagate(self)
'''
        ),
    ),
    # power rule without the upstream gradient: polynomial, with_constants, two_layers
    "pow_forgets_upstream_gradient": Misconception(
        "The chain rule multiplies the local derivative exponent * x**(exponent - 1) by the "
        "upstream gradient out.grad.",
        _value_cell(
            pow='''
    def __pow__(self, exponent: float) -> "Value":
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1)

        out._backward = _backward
        return out
'''
        ),
    ),
    # tanh derivative 1 - t instead of 1 - t**2: neuron, two_layers, deep_chain
    "tanh_derivative_missing_square": Misconception(
        "The derivative of tanh is 1 - t**2 where t = tanh(a), the output squared: 1 - t is not "
        "the slope of tanh.",
        _value_cell(
            tanh='''
    def tanh(self) -> "Value":
        t = float(np.tanh(self.data))
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t) * out.grad

        out._backward = _backward
        return out
'''
        ),
    ),
    # relu gradient without the mask [a > 0]: relu_mix, two_layers (negative inputs)
    "relu_gradient_without_mask": Misconception(
        "ReLU passes the gradient only where its input was positive: for a negative input the "
        "output is the constant 0, so its gradient contribution is 0.",
        _value_cell(
            relu='''
    def relu(self) -> "Value":
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += out.grad

        out._backward = _backward
        return out
'''
        ),
    ),
    # exp's derivative a * upstream instead of exp(a) * upstream: log_sum_exp, softplus
    "exp_derivative_uses_input": Misconception(
        "The derivative of exp(a) is exp(a) itself, the node's output, not its input a.",
        _value_cell(
            exp='''
    def exp(self) -> "Value":
        out = Value(float(np.exp(self.data)), (self,), "exp")

        def _backward():
            self.grad += self.data * out.grad

        out._backward = _backward
        return out
'''
        ),
    ),
    # backward() never seeds the output's grad with 1, every gradient stays 0: every case
    "backward_does_not_seed_one": Misconception(
        "Backpropagation starts from d(output)/d(output) = 1: unless the output's grad is set to "
        "1, every gradient is a product with 0.",
        _value_cell(
            backward='''
    def backward(self) -> None:
        topo, visited = [], set()

        def build(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    build(child)
                topo.append(node)

        build(self)
        for node in reversed(topo):
            node._backward()
'''
        ),
    ),
}

CORRECT["value"] = {
    # an iterative depth-first search (no recursion limit) and the math module
    "iterative_topological_sort": "\nimport math\n"
    + _value_cell(
        tanh='''
    def tanh(self) -> "Value":
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out
''',
        relu='''
    def relu(self) -> "Value":
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out
''',
        exp='''
    def exp(self) -> "Value":
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
''',
        log='''
    def log(self) -> "Value":
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out
''',
        backward='''
    def backward(self) -> None:
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)  # after all of its children: a topological order
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if child not in seen)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
''',
    ),
    # Kahn's algorithm: a node runs its _backward once all of its users have run theirs
    "count_users_kahn": _value_cell(
        add='''
    def __add__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            for child in (self, other):
                child.grad += out.grad

        out._backward = _backward
        return out
''',
        mul='''
    def __mul__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        a, b = self.data, other.data
        out = Value(a * b, (self, other), "*")

        def _backward():
            self.grad += b * out.grad
            other.grad += a * out.grad

        out._backward = _backward
        return out
''',
        backward='''
    def backward(self) -> None:
        users = {}
        stack, seen = [self], {self}
        while stack:
            node = stack.pop()
            for child in node._prev:
                users[child] = users.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for child in node._prev:
                users[child] -= 1
                if users[child] == 0:
                    ready.append(child)
''',
    ),
}


# Issue 17: every documented argument is exercised with a non-default value; these bugs
# ignore one and kept full marks before.
# relative_error's eps is ignored (the floor stays 1e-12): wrong on the hidden eps=1e-2 case
BUGGY['numerical_gradient']['relative_error_ignores_eps'] = Misconception(
    "`eps`, the floor of the denominator, is a parameter: the value passed in must be used, 1e-12 "
    "is only its default.",
    '''
def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function f at x.

    Args:
        f: function of an array, returning a float.
        x: float64 array of any shape; unchanged when the function returns (perturb each
            entry in place and restore it, or perturb a copy).
        h: the step.

    Returns:
        grad: float64 array of the shape of x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h).
    """
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> float:
    """The largest elementwise relative error, max |a - b| / max(eps, |a| + |b|).

    Args:
        a: array of any shape.
        b: array of the shape of a.
        eps: floor of the denominator (only matters where a and b are both 0).

    Returns:
        the relative error, a float in [0, 1].
    """
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))))
''',
)


# Issue 17: "any shape" includes a 0-d array. np.atleast_1d (added so that boolean masks
# "work on scalars") returns shape (1,) for it: the hidden "0-d array" cases.
BUGGY["sigmoid_tanh_layers"]["sigmoid_atleast_1d_masks"] = Misconception(
    "\"Any shape\" includes a 0-d array: `np.atleast_1d` turns it into shape (1,), so the output "
    "no longer has the input's shape. An elementwise layer must return exactly the shape it was "
    "given.",
    '''
def sigmoid_forward(x):
    x = np.atleast_1d(x)
    out = np.empty(x.shape)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
''',
)
BUGGY["relu_layers"]["atleast_1d_masks"] = Misconception(
    "\"Any shape\" includes a 0-d array: `np.atleast_1d` turns it into shape (1,), so the output "
    "no longer has the input's shape. An elementwise layer must return exactly the shape it was "
    "given.",
    '''
def relu_forward(x):
    out = np.atleast_1d(x).copy()
    out[out < 0] = 0
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def leaky_relu_forward(x, alpha=0.01):
    out = np.atleast_1d(x).copy()
    out[out <= 0] *= alpha
    return out, (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''',
)

# Issue 17: networks of 10 or more layers. Sorted names put "W10" before "W2": a shape error
# or wrong values on the hidden depth-11 case (up to 9 layers, sorted order is layer order).
BUGGY["mlp_loss"]["sorted_parameter_names"] = Misconception(
    "Names sorted as strings put \"W10\" before \"W2\": the layers are ordered by their number, "
    "which string order only matches up to 9 layers.",
    '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    weight_names = sorted(k for k in params if k.startswith("W"))
    bias_names = sorted(k for k in params if k.startswith("b"))
    layers = list(zip(weight_names, bias_names))
    h = X
    caches = []
    for i, (w_name, b_name) in enumerate(layers):
        h, lin_cache = lin_forward(h, params[w_name], params[b_name])
        act_cache = None
        if i < len(layers) - 1:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.0
    grads = {}
    for i in reversed(range(len(layers))):
        w_name, b_name = layers[i]
        lin_cache, act_cache = caches[i]
        if i < len(layers) - 1:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=i > 0)
        W = params[w_name]
        penalty += 0.5 * reg * np.sum(W * W)
        grads[w_name], grads[b_name] = dW + reg * W, db
    return float(data_loss + penalty), grads
''',
)
# The order of the dict's keys is not part of the contract (only their names are): reading
# the values as pairs W, b, W, b, ... fails on the hidden case whose dict lists the weights
# first.
BUGGY["mlp_loss"]["parameters_by_dict_order"] = Misconception(
    "The order of a dict's keys is not part of the contract, only the names W1, b1, W2, ... are: "
    "each weight belongs with its bias by layer number, not by position.",
    '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    names = list(params)
    layers = [(names[i], names[i + 1]) for i in range(0, len(names), 2)]
    h = X
    caches = []
    for i, (w_name, b_name) in enumerate(layers):
        h, lin_cache = lin_forward(h, params[w_name], params[b_name])
        act_cache = None
        if i < len(layers) - 1:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    data_loss, dh = loss(h, y)
    penalty = 0.0
    grads = {}
    for i in reversed(range(len(layers))):
        w_name, b_name = layers[i]
        lin_cache, act_cache = caches[i]
        if i < len(layers) - 1:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=i > 0)
        W = params[w_name]
        penalty += 0.5 * reg * np.sum(W * W)
        grads[w_name], grads[b_name] = dW + reg * W, db
    return float(data_loss + penalty), grads
''',
)

# Issue 17: targets of shape (N, 1) or (N, k) ("y: (N, ...) training targets"). np.take
# without an axis flattens y: the hidden "least squares, (N, k) targets" cases.
BUGGY["sgd_epoch"]["np_take_flattens_targets"] = Misconception(
    "`np.take` without an axis flattens the array first: for (N, k) targets the batch loses its "
    "rows. Samples are selected along axis 0, for y as for X.",
    '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        loss, grads = loss_fn(params, np.take(X, batch, axis=0), np.take(y, batch))
        losses.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return np.array(losses)
''',
)
# correct: the layers in the order of their numbers, whatever the dict's order
CORRECT["mlp_loss"]["numeric_sort_of_names"] = '''
def mlp_loss(params, X, y=None, reg=0.0, *, activation=(relu_forward, relu_backward),
             linear=(linear_forward, linear_backward), loss=softmax_cross_entropy):
    act_forward, act_backward = activation
    lin_forward, lin_backward = linear
    numbers = sorted(int(k[1:]) for k in params if k.startswith("W"))
    h = X
    caches = []
    for l in numbers:
        h, lin_cache = lin_forward(h, params[f"W{l}"], params[f"b{l}"])
        act_cache = None
        if l != numbers[-1]:
            h, act_cache = act_forward(h)
        caches.append((lin_cache, act_cache))
    if y is None:
        return h
    total, dh = loss(h, y)
    grads = {}
    for l, (lin_cache, act_cache) in zip(reversed(numbers), reversed(caches)):
        if act_cache is not None:
            dh = act_backward(dh, act_cache)
        dh, dW, db = lin_backward(dh, lin_cache, need_dx=l != numbers[0])
        W = params[f"W{l}"]
        total += 0.5 * reg * np.sum(W * W)
        grads[f"W{l}"], grads[f"b{l}"] = dW + reg * W, db
    return float(total), grads
'''
# correct: np.take along axis 0 keeps the (B, k) shape of a batch of targets
CORRECT["sgd_epoch"]["np_take_along_axis_0"] = '''
def sgd_epoch(params, X, y, loss_fn, lr, batch_size, order):
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        loss, grads = loss_fn(params, np.take(X, batch, axis=0), np.take(y, batch, axis=0))
        losses.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return np.array(losses)
'''
