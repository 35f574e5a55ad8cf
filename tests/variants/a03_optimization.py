"""Realistic buggy and correct alternative implementations of assignment 03's exercises.

Each entry maps a solution cell's grade_id to {variant name: the full source a student might
put in that cell}. The grading tests (tests/test_grading.py) fill a copy of the student
notebook with the reference solutions, replace one cell with a variant, autograde it with
nbgrader and check: a buggy variant loses points on that exercise and only that one; a
correct variant keeps full marks.

Every buggy variant gives a wrong result (or an error, or modifies its input, or leaves a
differently laid out optimizer state) on at least one visible or hidden case; the comment
before each name says where. The optimizer steps are graded by teacher forcing: each step is
checked on the reference's params and state along a reference trajectory, params and state
after the call included, so the prescribed state layout is part of the answer. The correct
alternatives differ from the reference in formula, order of operations, in-place style or
state initialisation, and agree with it within the grading tolerance in float64 and float32.
"""

from dlcourse.grader.variants import Misconception

BUGGY: dict[str, dict[str, str]] = {
    "gradient_descent": {
        # the trajectory in theta0's dtype: the integer theta0 case truncates every iterate
        "trajectory_in_theta0_dtype": Misconception(
            "The iterates are real numbers even when `theta0` holds integers: a trajectory array "
            "created with the starting point's integer dtype silently truncates every step.",
            '''
def gradient_descent(grad_fn, theta0, lr, steps):
    path = np.zeros((steps + 1, *np.shape(theta0)), dtype=np.asarray(theta0).dtype)
    path[0] = theta0
    for k in range(steps):
        path[k + 1] = path[k] - lr * grad_fn(path[k])
    return path
''',
        ),
        # theta0 is not the first row: shape (K, D) on every case (the visible test too)
        "drops_theta0": Misconception(
            "The trajectory includes the starting point: row 0 is `theta0` itself and row k the "
            "k-th iterate, so K steps give K + 1 rows.",
            '''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = theta0.copy()
    path = []
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return np.array(path).reshape(steps, *np.shape(theta0))
''',
        ),
        # `theta = theta0` then `theta -= ...` changes the caller's theta0: every case with K > 0
        "modifies_theta0_in_place": Misconception(
            "`theta = theta0` does not copy the array: updating `theta` in place then changes the "
            "caller's starting point too, and the function must leave its input unchanged.",
            '''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = theta0
    path = [theta.copy()]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta.copy())
    return np.array(path)
''',
        ),
        # appends the same array object each time: every row is the last iterate (K > 0)
        "appends_aliased_array": Misconception(
            "A list that holds the same array object several times sees every later in-place "
            "update: all the stored rows end up equal to the last iterate. Each row must be a "
            "snapshot of its own step.",
            '''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)
        path.append(theta)
    return np.array(path)
''',
        ),
        # climbs the loss: every case with K > 0
        "gradient_ascent": Misconception(
            "The gradient points uphill, so gradient descent steps against it, theta - lr * g; "
            "adding the gradient climbs the loss instead of decreasing it.",
            '''
def gradient_descent(grad_fn, theta0, lr, steps):
    path = [np.array(theta0)]
    for _ in range(steps):
        path.append(path[-1] + lr * grad_fn(path[-1]))
    return np.array(path)
''',
        ),
        # the gradient is always evaluated at theta0: every case with K >= 2
        "gradient_at_theta0_only": Misconception(
            "The gradient changes as theta moves: each step must use the gradient at the current "
            "iterate, not the one computed once at the starting point.",
            '''
def gradient_descent(grad_fn, theta0, lr, steps):
    trajectory = np.zeros((steps + 1, *np.shape(theta0)), dtype=np.result_type(theta0, 1.0))
    trajectory[0] = theta0
    g = grad_fn(theta0)
    for k in range(steps):
        trajectory[k + 1] = trajectory[k] - lr * g
    return trajectory
''',
        ),
    },
    "sgd": {
        # pairs parameters and gradients by position: grads come in another key order
        "zips_values_by_position": Misconception(
            "Parameters and gradients belong together by name, not by position: two dicts may list "
            "the same keys in different orders, so pairing their values in order can apply one "
            "parameter's gradient to another.",
            '''
def sgd_step(params, grads, state, lr=0.01):
    for p, g in zip(params.values(), grads.values()):
        p -= lr * g
''',
        ),
        # rebinds the local name to a new dict: the caller's params never change (every case)
        "rebinds_local_dict": Misconception(
            "Assigning a new dict to the local name `params` does not change the caller's dict: an "
            "in-place step must change the caller's parameter arrays or the entries of its dict.",
            '''
def sgd_step(params, grads, state, lr=0.01):
    params = {name: params[name] - lr * grads[name] for name in params}
''',
        ),
        # rebinds the loop variable: the arrays in params never change (every case)
        "rebinds_loop_variable": Misconception(
            "`p = p - ...` only rebinds the loop variable to a new array; the array stored in "
            "`params` is untouched. An in-place update must change the array itself or the dict's "
            "entry.",
            '''
def sgd_step(params, grads, state, lr=0.01):
    for name, p in params.items():
        p = p - lr * grads[name]
''',
        ),
        # moves along the gradient: every case
        "sign_error": Misconception(
            "SGD moves each parameter against its gradient, theta - lr * g: the gradient points "
            "uphill, so adding it increases the loss.",
            '''
def sgd_step(params, grads, state, lr=0.01):
    for name, grad in grads.items():
        params[name] += lr * grad
''',
        ),
        # scales the caller's gradient in place (grads changed after the call): every case
        "scales_gradient_in_place": Misconception(
            "`grad *= lr` changes the caller's gradient array: an optimizer step reads the "
            "gradients but must leave them as they were; only the parameters change.",
            '''
def sgd_step(params, grads, state, lr=0.01):
    for name, grad in grads.items():
        grad *= lr
        params[name] -= grad
''',
        ),
        # forgets the learning rate: every case (lr is never 1)
        "forgets_lr": Misconception(
            "The learning rate sets the step size: the update is lr times the gradient, and "
            "leaving lr out takes a full gradient-sized step whatever rate the caller chose.",
            '''
def sgd_step(params, grads, state, lr=0.01):
    for name, grad in grads.items():
        params[name] -= grad
''',
        ),
    },
    "momentum": {
        # one velocity for all parameters, state["velocity"] a single array: the visible test
        # (state["velocity"]["b"]), and the hidden cases (W (3, 4) and b (4,) do not broadcast)
        "shared_velocity": Misconception(
            "Each parameter needs its own velocity: one shared buffer mixes the gradients of "
            "different arrays. The state maps every parameter's name to its own velocity.",
            '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    v = state.get("velocity", 0.0)
    for name, grad in grads.items():
        v = momentum * v + grad
        params[name] -= lr * v
    state["velocity"] = v
''',
        ),
        # velocities keyed by the parameter's position, not its name: state["velocity"] has
        # the keys 0, 1 (the visible test and every hidden case)
        "velocity_keyed_by_index": Misconception(
            "The velocities belong to parameters by name: the state is keyed like `params`, so a "
            "parameter finds its own velocity on the next step whatever order the dicts use.",
            '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for i, (name, grad) in enumerate(grads.items()):
        velocity[i] = momentum * velocity.get(i, 0.0) + grad
        params[name] -= lr * velocity[i]
''',
        ),
        # dampening v = mu v + (1 - mu) g: every case (first step of the visible test too)
        "dampened_gradient": Misconception(
            "Here momentum is v = mu * v + g, the gradient at full weight: scaling it by (1 - mu) "
            "(dampening) turns the velocity into a moving average and shrinks every step by a "
            "factor 1 - mu.",
            '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        velocity[name] = momentum * velocity.get(name, 0.0) + (1 - momentum) * grad
        params[name] -= lr * velocity[name]
''',
        ),
        # the new velocity is never written back: state["velocity"] stays empty (every case)
        "velocity_not_stored": Misconception(
            "The velocity is the optimizer's memory: the updated one must be stored in the state, "
            "otherwise every step starts again from zero and momentum never builds up.",
            '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        v = velocity.get(name, np.zeros_like(grad))
        v = momentum * v + grad
        params[name] -= lr * v
''',
        ),
        # steps with the old velocity, then updates it: the first step does not move (every case)
        "steps_before_velocity_update": Misconception(
            "The step uses the velocity that already includes the current gradient: v is updated "
            "first, then theta moves by lr * v. Stepping with the old velocity lags one step "
            "behind, and the first step does not move at all.",
            '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        v = velocity.get(name, np.zeros_like(grad))
        params[name] -= lr * v
        velocity[name] = momentum * v + grad
''',
        ),
    },
    "nesterov": {
        # plain momentum, no look-ahead: every case (the visible first step gives 0.9)
        "plain_momentum": Misconception(
            "Nesterov momentum looks ahead: the step is g + mu * v with the new velocity, not the "
            "velocity alone. Without the look-ahead term it is plain momentum.",
            '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        velocity[name] = momentum * velocity.get(name, 0.0) + grad
        params[name] -= lr * velocity[name]
''',
        ),
        # looks ahead along the old velocity, g + mu * v_old: every case (the visible first step)
        "lookahead_with_old_velocity": Misconception(
            "The look-ahead uses the velocity after this step's update, g + mu * v with the new v; "
            "with the previous velocity the current gradient enters the step only once.",
            '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        v_old = velocity.get(name, np.zeros_like(grad))
        params[name] -= lr * (grad + momentum * v_old)
        velocity[name] = momentum * v_old + grad
''',
        ),
        # dampening v = mu v + (1 - mu) g: every case
        "dampened_gradient": Misconception(
            "In Nesterov momentum as in plain momentum, v = mu * v + g takes the gradient at full "
            "weight: scaling it by (1 - mu) (dampening) turns the velocity into a moving average "
            "and changes every step.",
            '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        velocity[name] = momentum * velocity.get(name, 0.0) + (1 - momentum) * grad
        params[name] -= lr * (grad + momentum * velocity[name])
''',
        ),
        # PyTorch's name state["momentum_buffer"] instead of the prescribed state["velocity"]:
        # the visible test and every hidden case (the state's keys)
        "torch_state_key": Misconception(
            "The optimizer state's layout is part of the interface: the velocities live under the "
            "prescribed key `velocity`, so that code that inspects, saves or resumes the state "
            "finds them; another library's name breaks that.",
            '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    buffers = state.setdefault("momentum_buffer", {})
    for name, grad in grads.items():
        buffers[name] = momentum * buffers.get(name, 0.0) + grad
        params[name] -= lr * (grad + momentum * buffers[name])
''',
        ),
    },
    "adagrad": {
        # s = g**2 of this step only, no accumulation: the visible second step, hidden steps >= 2
        "forgets_to_accumulate": Misconception(
            "AdaGrad divides by the root of the sum of all past squared gradients: s keeps "
            "growing, so the steps shrink over time. With only this step's g**2 every step has "
            "about the same size.",
            '''
def adagrad_step(params, grads, state, lr=0.01, eps=1e-10):
    sum_sq = state.setdefault("sum_sq", {})
    for name, grad in grads.items():
        sum_sq[name] = grad**2
        params[name] -= lr * grad / (np.sqrt(sum_sq[name]) + eps)
''',
        ),
        # eps inside the root, sqrt(s + eps): the first float64 and float32 steps of the hidden
        # trajectory with eps = 1e-6 (with the default 1e-10 it stays within the tolerance)
        "eps_inside_sqrt": Misconception(
            "AdaGrad adds eps to the root, sqrt(s) + eps, not inside it: sqrt(s + eps) changes the "
            "step noticeably whenever s is not much larger than eps.",
            '''
def adagrad_step(params, grads, state, lr=0.01, eps=1e-10):
    sum_sq = state.setdefault("sum_sq", {})
    for name, grad in grads.items():
        sum_sq[name] = sum_sq.get(name, 0.0) + grad**2
        params[name] -= lr * grad / np.sqrt(sum_sq[name] + eps)
''',
        ),
        # steps with the old sum, then accumulates: the first step divides by eps (every case)
        "accumulates_after_step": Misconception(
            "The sum of squares includes the current gradient before it is used: s is updated "
            "first, then the step divides by sqrt(s) + eps. With the old sum the first step "
            "divides by eps alone and explodes.",
            '''
def adagrad_step(params, grads, state, lr=0.01, eps=1e-10):
    sum_sq = state.setdefault("sum_sq", {})
    for name, grad in grads.items():
        s = sum_sq.get(name, np.zeros_like(grad))
        params[name] -= lr * grad / (np.sqrt(s) + eps)
        sum_sq[name] = s + grad**2
''',
        ),
        # accumulates |g| instead of g**2: the visible test (sum_sq) and every hidden case
        "accumulates_abs_gradient": Misconception(
            "AdaGrad accumulates squared gradients, so that sqrt(s) is on the scale of a gradient; "
            "summing absolute values gives a differently scaled denominator and the wrong step.",
            '''
def adagrad_step(params, grads, state, lr=0.01, eps=1e-10):
    sum_sq = state.setdefault("sum_sq", {})
    for name, grad in grads.items():
        sum_sq[name] = sum_sq.get(name, 0.0) + np.abs(grad)
        params[name] -= lr * grad / (np.sqrt(sum_sq[name]) + eps)
''',
        ),
    },
    "rmsprop": {
        # alpha and 1 - alpha swapped: the visible test and every hidden case
        "alpha_swapped": Misconception(
            "alpha is the weight of the old average, r = alpha * r + (1 - alpha) * g**2: with the "
            "weights swapped r follows mostly the latest squared gradient instead of a long "
            "average.",
            '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    mean_sq = state.setdefault("mean_sq", {})
    for name, grad in grads.items():
        mean_sq[name] = (1 - alpha) * mean_sq.get(name, 0.0) + alpha * grad**2
        params[name] -= lr * grad / (np.sqrt(mean_sq[name]) + eps)
''',
        ),
        # eps inside the root: the hidden steps with small gradients (scale ~1e-4) or eps = 1e-6
        "eps_inside_sqrt": Misconception(
            "RMSProp adds eps after the root, sqrt(r) + eps, not inside it: sqrt(r + eps) changes "
            "the step noticeably when the gradients are small or eps is large.",
            '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    mean_sq = state.setdefault("mean_sq", {})
    for name, grad in grads.items():
        mean_sq[name] = alpha * mean_sq.get(name, 0.0) + (1 - alpha) * grad**2
        params[name] -= lr * grad / np.sqrt(mean_sq[name] + eps)
''',
        ),
        # r = alpha r + g**2, the (1 - alpha) forgotten: the visible test and every hidden case
        "forgets_one_minus_alpha": Misconception(
            "An exponential moving average weights the new value by 1 - alpha: without that factor "
            "r adds up the squared gradients instead of averaging them, and the steps become too "
            "small.",
            '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    mean_sq = state.setdefault("mean_sq", {})
    for name, grad in grads.items():
        mean_sq[name] = alpha * mean_sq.get(name, 0.0) + grad**2
        params[name] -= lr * grad / (np.sqrt(mean_sq[name]) + eps)
''',
        ),
        # no eps at all: the float64 hidden steps with small gradients or eps = 1e-6
        "forgets_eps": Misconception(
            "The eps in the denominator, sqrt(r) + eps, is part of the update: it keeps the "
            "division finite and damps the step when r is small, so leaving it out changes the "
            "result.",
            '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    mean_sq = state.setdefault("mean_sq", {})
    for name, grad in grads.items():
        mean_sq[name] = alpha * mean_sq.get(name, 0.0) + (1 - alpha) * grad**2
        params[name] -= lr * grad / np.sqrt(mean_sq[name])
''',
        ),
        # r starts at g**2 on the first step instead of 0: the visible test, every first step
        "initialises_with_first_gradient": Misconception(
            "The moving average starts at r = 0 before the first step, not at the first squared "
            "gradient; starting elsewhere changes every early step.",
            '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    mean_sq = state.setdefault("mean_sq", {})
    for name, grad in grads.items():
        r = mean_sq.get(name, grad**2)
        mean_sq[name] = alpha * r + (1 - alpha) * grad**2
        params[name] -= lr * grad / (np.sqrt(mean_sq[name]) + eps)
''',
        ),
    },
    "adadelta": {
        # eps outside the roots: the visible first step (sqrt(u) = 0), every hidden case
        "eps_outside_roots": Misconception(
            "Adadelta adds eps inside both roots, sqrt(u + eps) / sqrt(r + eps): u is 0 at the "
            "start, so with sqrt(u) + eps the first steps are tiny and the method barely gets "
            "going.",
            '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    mean_sq = state.setdefault("mean_sq", {})
    mean_sq_delta = state.setdefault("mean_sq_delta", {})
    for name, grad in grads.items():
        mean_sq[name] = rho * mean_sq.get(name, 0.0) + (1 - rho) * grad**2
        u = mean_sq_delta.get(name, 0.0)
        delta = (np.sqrt(u) + eps) / (np.sqrt(mean_sq[name]) + eps) * grad
        mean_sq_delta[name] = rho * u + (1 - rho) * delta**2
        params[name] -= lr * delta
''',
        ),
        # u updated before delta is known (with g**2): the visible test, every hidden case
        "updates_u_before_delta": Misconception(
            "u is the running average of the squared updates delta**2, so it can only be updated "
            "after delta is computed from the old u; averaging g**2 into it mixes gradients into "
            "the history of updates.",
            '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    mean_sq = state.setdefault("mean_sq", {})
    mean_sq_delta = state.setdefault("mean_sq_delta", {})
    for name, grad in grads.items():
        mean_sq[name] = rho * mean_sq.get(name, 0.0) + (1 - rho) * grad**2
        mean_sq_delta[name] = rho * mean_sq_delta.get(name, 0.0) + (1 - rho) * grad**2
        delta = np.sqrt(mean_sq_delta[name] + eps) / np.sqrt(mean_sq[name] + eps) * grad
        params[name] -= lr * delta
''',
        ),
        # delta computed with the old r, before r is updated: the visible first step, every case
        "delta_with_old_mean_sq": Misconception(
            "The order matters: r takes in the current g**2 first, then delta uses the new r and "
            "the old u. Using the old r divides the first step by sqrt(eps) and makes it far too "
            "large.",
            '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    mean_sq = state.setdefault("mean_sq", {})
    mean_sq_delta = state.setdefault("mean_sq_delta", {})
    for name, grad in grads.items():
        r = mean_sq.get(name, 0.0)
        u = mean_sq_delta.get(name, 0.0)
        delta = np.sqrt(u + eps) / np.sqrt(r + eps) * grad
        mean_sq[name] = rho * r + (1 - rho) * grad**2
        mean_sq_delta[name] = rho * u + (1 - rho) * delta**2
        params[name] -= lr * delta
''',
        ),
        # "Adadelta needs no learning rate": lr ignored, the hidden cases with lr = 0.5
        "ignores_lr": Misconception(
            "The original Adadelta has no learning rate, but this version takes one: lr scales "
            "every step (1.0 gives the original method), so it must multiply delta.",
            '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    mean_sq = state.setdefault("mean_sq", {})
    mean_sq_delta = state.setdefault("mean_sq_delta", {})
    for name, grad in grads.items():
        mean_sq[name] = rho * mean_sq.get(name, 0.0) + (1 - rho) * grad**2
        delta = np.sqrt(mean_sq_delta.get(name, 0.0) + eps) / np.sqrt(mean_sq[name] + eps) * grad
        mean_sq_delta[name] = rho * mean_sq_delta.get(name, 0.0) + (1 - rho) * delta**2
        params[name] -= delta
''',
        ),
        # rho and 1 - rho swapped in both averages: the visible test and every hidden case
        "rho_swapped": Misconception(
            "rho is the weight of the old averages, r = rho * r + (1 - rho) * g**2 and likewise "
            "for u: with the weights swapped both follow mostly the latest value.",
            '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    mean_sq = state.setdefault("mean_sq", {})
    mean_sq_delta = state.setdefault("mean_sq_delta", {})
    for name, grad in grads.items():
        mean_sq[name] = (1 - rho) * mean_sq.get(name, 0.0) + rho * grad**2
        delta = np.sqrt(mean_sq_delta.get(name, 0.0) + eps) / np.sqrt(mean_sq[name] + eps) * grad
        mean_sq_delta[name] = (1 - rho) * mean_sq_delta.get(name, 0.0) + rho * delta**2
        params[name] -= lr * delta
''',
        ),
    },
    "adam": {
        # no bias correction: the visible first step (0.1 * sign(g)) and every hidden case
        "no_bias_correction": Misconception(
            "Adam's moment estimates start at zero, so early steps are biased towards zero; "
            "dividing by 1 - beta**t, with t counted from 1, corrects that.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        params[name] -= lr * m[name] / (np.sqrt(v[name]) + eps)
''',
        ),
        # bias correction with t before it is incremented: 1 - beta**0 = 0 on the first step
        # (nan in the visible test), one step late on every hidden case
        "correction_with_old_t": Misconception(
            "The step count t includes the current step, counted from 1, and the bias correction "
            "uses it: with the count before this step the first step divides by 1 - beta**0 = 0.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0)
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    state["t"] = t + 1
''',
        ),
        # bias correction with t + 1: the visible first step, every hidden case
        "correction_with_t_plus_one": Misconception(
            "The bias correction uses the number of steps taken including this one: t is 1 on the "
            "first step, and any other exponent in 1 - beta**t over- or under-corrects the "
            "moments.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] = state.get("t", 0) + 1
    t = state["t"]
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1 ** (t + 1))
        v_hat = v[name] / (1 - beta2 ** (t + 1))
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
        ),
        # eps inside the root, sqrt(v_hat + eps): the hidden steps with the smallest gradients
        # (the first steps of the beta2 = 0.99 trajectory)
        "eps_inside_sqrt": Misconception(
            "Adam adds eps after the root, sqrt(v_hat) + eps, not inside it: sqrt(v_hat + eps) "
            "noticeably shrinks the steps when the gradients are small.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / np.sqrt(v_hat + eps)
''',
        ),
        # stores the corrected m_hat, v_hat in the state: the visible test (m, v) and every
        # hidden case from step 1 on (the state after the call)
        "stores_corrected_moments": Misconception(
            "The state keeps the raw moving averages m and v; the bias-corrected m_hat and v_hat "
            "serve this step only. Storing the corrected values corrupts the averages the next "
            "step builds on.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = (beta1 * m.get(name, 0.0) + (1 - beta1) * grad) / (1 - beta1**t)
        v[name] = (beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2) / (1 - beta2**t)
        params[name] -= lr * m[name] / (np.sqrt(v[name]) + eps)
''',
        ),
        # t incremented inside the loop over parameters (twice per step with W and b): the
        # visible test (t == 1) and every hidden case
        "t_incremented_per_parameter": Misconception(
            "t counts optimizer steps, not parameters: it goes up once per call. Incrementing it "
            "for every parameter gives the arrays different, too large step counts and wrong bias "
            "corrections.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        state["t"] = state.get("t", 0) + 1
        t = state["t"]
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
        ),
        # the step count kept in a global, not in state["t"]: the visible test (state["t"]) and
        # every hidden case (the global keeps counting across trajectories)
        "t_in_a_global": Misconception(
            "The step count belongs in the optimizer's state (`state['t']`): a global counter is "
            "shared by every optimizer and keeps counting across separate training runs.",
            '''
adam_t = 0


def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    global adam_t
    adam_t += 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**adam_t)
        v_hat = v[name] / (1 - beta2**adam_t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
        ),
        # the paper's "efficient" form with eps not rescaled by sqrt(1 - beta2**t) (Keras's
        # Adam): the float64 hidden steps with small gradients or eps = 1e-6
        "efficient_form_unscaled_eps": Misconception(
            "Folding the bias corrections into the learning rate (the paper's efficient form) also "
            "rescales eps by sqrt(1 - beta2**t); with eps left unscaled it is a different update "
            "from the prescribed one.",
            '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        params[name] -= lr_t * m[name] / (np.sqrt(v[name]) + eps)
''',
        ),
    },
    "adamw": {
        # L2 coupled into the gradient (g + wd * theta fed to Adam): the visible test (m, v)
        # and every hidden case
        "decay_coupled_into_gradient": Misconception(
            "AdamW decouples weight decay from the gradient: the decay shrinks theta directly and "
            "never enters m or v. Adding the decay term to the gradient is L2 regularization, "
            "which Adam's scaling then distorts.",
            '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        g = grad + weight_decay * params[name]
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * g
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * g**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
        ),
        # decays the already updated parameter, after the Adam step: the float64 hidden cases
        "decay_after_the_step": Misconception(
            "The decay shrinks the parameter as it was before this step's Adam update; decaying "
            "the already updated value also shrinks the Adam step itself.",
            '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
        params[name] *= 1 - lr * weight_decay
''',
        ),
        # theta *= 1 - weight_decay, the lr missing: the visible first step, every hidden case
        "decay_without_lr": Misconception(
            "The decoupled decay is scaled by the learning rate, theta * (1 - lr * weight_decay): "
            "without lr the parameters shrink by the full decay rate at every step.",
            '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        params[name] *= 1 - weight_decay
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
        ),
        # the biases are not decayed (a common convention, not the prescribed one): every
        # hidden case (params["b"])
        "no_decay_on_biases": Misconception(
            "Leaving biases undecayed is a common convention, but this AdamW decays every "
            "parameter it is given: which parameters get decay is the caller's choice, made by "
            "what it passes in.",
            '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        if not name.startswith("b"):
            params[name] *= 1 - lr * weight_decay
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
        ),
        # Adam's step without bias correction after the decay: the visible test is blind to it
        # (zero gradient, then wd = 0), every hidden case
        "no_bias_correction": Misconception(
            "Adam's moment estimates start at zero, so early steps are biased towards zero; "
            "dividing by 1 - beta**t, with t counted from 1, corrects that.",
            '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        params[name] *= 1 - lr * weight_decay
        m[name] = beta1 * m.get(name, 0.0) + (1 - beta1) * grad
        v[name] = beta2 * v.get(name, 0.0) + (1 - beta2) * grad**2
        params[name] -= lr * m[name] / (np.sqrt(v[name]) + eps)
''',
        ),
    },
    "step_exponential_decay": {
        # (epoch + 1) // step_size decays one epoch early: the visible test, every hidden case
        "step_decay_one_epoch_early": Misconception(
            "Step decay multiplies by gamma once every step_size epochs, counting epochs from 0: "
            "the first decay happens at epoch step_size, not one epoch before it.",
            '''
def step_decay(epoch, lr0, gamma=0.1, step_size=30):
    return lr0 * gamma ** ((epoch + 1) // step_size)


def exponential_decay(epoch, lr0, gamma=0.95):
    return lr0 * gamma**epoch
''',
        ),
        # epoch / step_size decays continuously: the visible test, every hidden case
        "step_decay_true_division": Misconception(
            "Step decay is piecewise constant: its exponent is the number of completed periods, an "
            "integer. A fractional exponent decays a little every epoch instead of in steps.",
            '''
def step_decay(epoch, lr0, gamma=0.1, step_size=30):
    return lr0 * gamma ** (epoch / step_size)


def exponential_decay(epoch, lr0, gamma=0.95):
    return lr0 * gamma**epoch
''',
        ),
        # round(epoch / step_size) decays half a period early: the visible test, hidden cases
        "step_decay_rounds": Misconception(
            "The exponent counts completed periods, so it is rounded down: rounding to the nearest "
            "integer applies each decay halfway through its period.",
            '''
def step_decay(epoch, lr0, gamma=0.1, step_size=30):
    return lr0 * gamma ** round(epoch / step_size)


def exponential_decay(epoch, lr0, gamma=0.95):
    return lr0 * gamma**epoch
''',
        ),
        # gamma ** (epoch + 1): epoch 0 is already decayed (the visible test, every hidden case)
        "exponential_one_epoch_early": Misconception(
            "Epochs count from 0 and epoch 0 uses the initial rate lr0: the factor is gamma to the "
            "power epoch, so an extra power of gamma decays every epoch one step too early.",
            '''
def step_decay(epoch, lr0, gamma=0.1, step_size=30):
    return lr0 * gamma ** (epoch // step_size)


def exponential_decay(epoch, lr0, gamma=0.95):
    return lr0 * gamma ** (epoch + 1)
''',
        ),
        # lr0 * exp(-gamma * epoch), gamma read as a rate: the visible test, every hidden case
        "exponential_as_exp_rate": Misconception(
            "gamma is the factor applied per epoch, lr0 * gamma**epoch, not a rate in an "
            "exponential: exp(-gamma * epoch) with gamma = 0.95 decays far faster than intended.",
            '''
def step_decay(epoch, lr0, gamma=0.1, step_size=30):
    return lr0 * gamma ** (epoch // step_size)


def exponential_decay(epoch, lr0, gamma=0.95):
    return lr0 * np.exp(-gamma * epoch)
''',
        ),
    },
    "cosine_warmup": {
        # cosine over total_epochs - 1 epochs: the visible test, every hidden case
        "cosine_over_total_minus_one": Misconception(
            "The cosine half-period spans total_epochs epochs: the phase is pi * epoch / "
            "total_epochs, reaching lr_min at epoch total_epochs, not one epoch earlier.",
            '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / (total_epochs - 1)))


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * min(epoch, warmup_epochs) / warmup_epochs)
''',
        ),
        # the 1/2 missing: starts at 2 lr0 (the visible test, every hidden case)
        "cosine_missing_half": Misconception(
            "The factor 1 + cos goes from 2 to 0, so it is halved to move the rate from lr0 down "
            "to lr_min; without the 1/2 the schedule starts at twice lr0.",
            '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / total_epochs))


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * min(epoch, warmup_epochs) / warmup_epochs)
''',
        ),
        # amplitude lr0, not lr0 - lr_min, so epoch 0 gives lr0 + lr_min: passes the visible
        # test (lr_min = 0 where epoch 0 is checked), fails the hidden cases with lr_min > 0
        "cosine_amplitude_ignores_lr_min": Misconception(
            "The cosine interpolates between lr0 and lr_min, so its amplitude is lr0 - lr_min: "
            "with amplitude lr0 the schedule starts at lr0 + lr_min instead of lr0.",
            '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    return lr_min + 0.5 * lr0 * (1 + np.cos(np.pi * epoch / total_epochs))


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * min(epoch, warmup_epochs) / warmup_epochs)
''',
        ),
        # the ramp reaches lr0 one epoch late (at warmup_epochs + 1): the visible test, hidden
        "warmup_one_epoch_late": Misconception(
            "The linear warmup ramps over warmup_epochs epochs and reaches lr0 exactly at epoch "
            "warmup_epochs; ramping over one more epoch reaches it one epoch late.",
            '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / total_epochs))


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    ramp = min(epoch, warmup_epochs + 1) / (warmup_epochs + 1)
    return lr0 * (start_factor + (1 - start_factor) * ramp)
''',
        ),
        # max instead of min: lr0 or more from epoch 0 on (the visible test, every hidden case)
        "warmup_max_instead_of_min": Misconception(
            "The warmup's progress is capped at 1 once warmup_epochs is reached; taking the larger "
            "of the epoch and warmup_epochs gives lr0 or more from the very first epoch.",
            '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / total_epochs))


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * max(epoch, warmup_epochs) / warmup_epochs)
''',
        ),
        # the ramp starts at 0, start_factor ignored: the visible test, every hidden case
        "warmup_ignores_start_factor": Misconception(
            "The warmup starts at start_factor * lr0, not at zero, and rises linearly to lr0; "
            "ignoring start_factor starts training with a learning rate of 0.",
            '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(np.pi * epoch / total_epochs))


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    return lr0 * min(epoch, warmup_epochs) / warmup_epochs
''',
        ),
    },
}

CORRECT: dict[str, dict[str, str]] = {
    "gradient_descent": {
        "list_of_iterates": '''
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = np.array(theta0, copy=True)
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)  # a new array each step, never an alias
        path.append(theta)
    return np.stack(path)
''',
        "preallocated_with_copy": '''
def gradient_descent(
    grad_fn: Callable[[np.ndarray], np.ndarray], theta0: np.ndarray, lr: float, steps: int
) -> np.ndarray:
    theta = theta0.astype(np.result_type(theta0, 1.0), copy=True)
    trajectory = np.zeros((steps + 1,) + theta.shape, dtype=theta.dtype)
    trajectory[0] = theta
    for k in range(1, steps + 1):
        theta -= lr * grad_fn(theta)  # in place on our own copy only
        trajectory[k] = theta
    return trajectory
''',
    },
    "sgd": {
        "rebinds_entries": '''
def sgd_step(params, grads, state, lr=0.01):
    for name in params:
        params[name] = params[name] - lr * grads[name]
''',
        "ufunc_out": '''
def sgd_step(params: dict, grads: dict, state: dict, lr: float = 0.01) -> None:
    for name, p in params.items():
        np.subtract(p, lr * grads[name], out=p)
''',
    },
    "momentum": {
        "zeros_like_in_place": '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    if "velocity" not in state:
        state["velocity"] = {name: np.zeros_like(p) for name, p in params.items()}
    for name in params:
        v = state["velocity"][name]
        v *= momentum
        v += grads[name]
        params[name] -= lr * v
''',
    },
    "nesterov": {
        "bengio_form": '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        v_old = velocity.get(name, np.zeros_like(grad))
        v_new = momentum * v_old + grad
        # g + mu * v_new written as v_new + mu * (v_new - v_old)
        params[name] -= lr * (v_new + momentum * (v_new - v_old))
        velocity[name] = v_new
''',
        "zeros_like_in_place": '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    if "velocity" not in state:
        state["velocity"] = {name: np.zeros_like(g) for name, g in grads.items()}
    for name, g in grads.items():
        v = state["velocity"][name]
        np.multiply(v, momentum, out=v)
        np.add(v, g, out=v)
        params[name] -= lr * g + lr * momentum * v
''',
    },
    "adagrad": {
        "zeros_like_in_place": '''
def adagrad_step(params, grads, state, lr=0.01, eps=1e-10):
    sum_sq = state.setdefault("sum_sq", {})
    for name, g in grads.items():
        s = sum_sq.setdefault(name, np.zeros_like(g))
        s += np.square(g)
        params[name] -= lr * g / (np.sqrt(s) + eps)
''',
        "scaled_learning_rate": '''
def adagrad_step(params, grads, state, lr=0.01, eps=1e-10):
    if "sum_sq" not in state:
        state["sum_sq"] = {}
    for name in params:
        g = grads[name]
        state["sum_sq"][name] = state["sum_sq"].get(name, 0.0) + g * g
        scale = 1.0 / (np.sqrt(state["sum_sq"][name]) + eps)
        params[name] = params[name] - lr * scale * g
''',
    },
    "rmsprop": {
        "moving_average_as_lerp": '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    mean_sq = state.setdefault("mean_sq", {})
    for name, g in grads.items():
        r = mean_sq.get(name, np.zeros_like(g))
        r = r + (1 - alpha) * (g * g - r)  # = alpha * r + (1 - alpha) * g**2
        mean_sq[name] = r
        params[name] -= lr * g / (np.sqrt(r) + eps)
''',
        "torch_style_in_place": '''
def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    if "mean_sq" not in state:
        state["mean_sq"] = {name: np.zeros_like(p) for name, p in params.items()}
    for name, p in params.items():
        g = grads[name]
        r = state["mean_sq"][name]
        r *= alpha
        r += (1 - alpha) * np.square(g)
        avg = np.sqrt(r)
        avg += eps
        p -= lr * (g / avg)
''',
    },
    "adadelta": {
        "one_root_of_the_ratio": '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    r_all = state.setdefault("mean_sq", {})
    u_all = state.setdefault("mean_sq_delta", {})
    for name, g in grads.items():
        r = rho * r_all.get(name, 0.0) + (1 - rho) * g**2
        u = u_all.get(name, 0.0)
        delta = np.sqrt((u + eps) / (r + eps)) * g
        r_all[name] = r
        u_all[name] = rho * u + (1 - rho) * delta**2
        params[name] = params[name] - lr * delta
''',
        "torch_style_in_place": '''
def adadelta_step(params, grads, state, lr=1.0, rho=0.9, eps=1e-6):
    if "mean_sq" not in state:
        state["mean_sq"] = {name: np.zeros_like(g) for name, g in grads.items()}
        state["mean_sq_delta"] = {name: np.zeros_like(g) for name, g in grads.items()}
    for name, g in grads.items():
        square_avg = state["mean_sq"][name]
        acc_delta = state["mean_sq_delta"][name]
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps) / std * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        params[name] -= lr * delta
''',
    },
    "adam": {
        "torch_form": '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] = state.get("t", 0) + 1
    t = state["t"]
    if "m" not in state:
        state["m"] = {name: np.zeros_like(g) for name, g in grads.items()}
        state["v"] = {name: np.zeros_like(g) for name, g in grads.items()}
    bias1 = 1 - beta1**t
    bias2 = 1 - beta2**t
    for name, g in grads.items():
        m, v = state["m"][name], state["v"][name]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        denom = np.sqrt(v) / np.sqrt(bias2) + eps
        params[name] -= (lr / bias1) * m / denom
''',
        "efficient_form_rescaled_eps": '''
import math


def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    state["t"] = t
    m_all = state.setdefault("m", {})
    v_all = state.setdefault("v", {})
    # the paper's form: lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), eps_t = eps sqrt(1 - beta2^t)
    root = math.sqrt(1 - beta2**t)
    lr_t = lr * root / (1 - beta1**t)
    for name in params:
        g = grads[name]
        m_all[name] = beta1 * m_all.get(name, 0.0) + (1 - beta1) * g
        v_all[name] = beta2 * v_all.get(name, 0.0) + (1 - beta2) * np.square(g)
        params[name] = params[name] - lr_t * m_all[name] / (np.sqrt(v_all[name]) + eps * root)
''',
    },
    "adamw": {
        "decay_then_adam_step": '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    for name in params:
        params[name] *= 1 - lr * weight_decay
    adam_step(params, grads, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
''',
        "subtracts_decay_term": '''
def adamw_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    t = state["t"] = state.get("t", 0) + 1
    m_all, v_all = state.setdefault("m", {}), state.setdefault("v", {})
    for name, g in grads.items():
        theta = params[name]
        m = m_all[name] = beta1 * m_all.get(name, 0.0) + (1 - beta1) * g
        v = v_all[name] = beta2 * v_all.get(name, 0.0) + (1 - beta2) * g * g
        adam = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        theta -= lr * (weight_decay * theta + adam)  # the decay uses theta before the step
''',
    },
    "step_exponential_decay": {
        "floor_and_exp_log": '''
import math


def step_decay(epoch, lr0, gamma=0.1, step_size=30):
    return lr0 * gamma ** math.floor(epoch / step_size)


def exponential_decay(epoch, lr0, gamma=0.95):
    return lr0 * math.exp(epoch * math.log(gamma))
''',
        "repeated_multiplication": '''
def step_decay(epoch: int, lr0: float, gamma: float = 0.1, step_size: int = 30) -> float:
    lr = lr0
    for _ in range(epoch // step_size):
        lr *= gamma
    return lr


def exponential_decay(epoch: int, lr0: float, gamma: float = 0.95) -> float:
    return lr0 * np.power(gamma, epoch)
''',
    },
    "cosine_warmup": {
        "math_cos_and_branch": '''
import math


def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    progress = epoch / total_epochs
    return lr0 - (lr0 - lr_min) * (1 - math.cos(math.pi * progress)) / 2


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    if epoch >= warmup_epochs:
        return lr0
    return lr0 * start_factor + (lr0 - lr0 * start_factor) * epoch / warmup_epochs
''',
        "interpolation_and_clip": '''
def cosine_annealing(epoch, lr0, total_epochs, lr_min=0.0):
    weight = (1 + np.cos(np.pi * epoch / total_epochs)) / 2  # 1 at the start, 0 at the end
    return weight * lr0 + (1 - weight) * lr_min


def linear_warmup(epoch, lr0, warmup_epochs, start_factor=0.1):
    factor = start_factor + (1 - start_factor) * epoch / warmup_epochs
    return lr0 * min(factor, 1.0)
''',
    },
}


# Issue 17: every documented argument is exercised with a non-default value; these bugs
# ignore one and kept full marks before.
# beta2 is ignored (0.999 is used): wrong on the hidden cases with beta2=0.95
BUGGY['adamw']['ignores_beta2'] = Misconception(
    "beta2 sets how fast the second-moment average forgets, and a hard-coded 0.999 ignores the "
    "caller's value (and no longer matches the bias correction 1 - beta2**t).",
    '''
def adamw_step(
    params: dict,
    grads: dict,
    state: dict,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> None:
    """One step of AdamW, in place (PyTorch's AdamW): theta <- theta * (1 - lr * weight_decay),
    then the Adam step with the gradient g (the decay does not enter m or v).

    Args:
        params: dict name -> parameter array, updated in place (every entry is decayed).
        grads: dict name -> gradient array.
        state: as for adam_step: state["t"], state["m"][name], state["v"][name].
        lr, beta1, beta2, eps: as for adam_step.
        weight_decay: lambda, the decoupled decay rate.
    """
    t = state["t"] = state.get("t", 0) + 1
    first, second = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        params[name] *= 1 - lr * weight_decay
        first[name] = beta1 * first.get(name, 0.0) + (1 - beta1) * grad
        second[name] = 0.999 * second.get(name, 0.0) + (1 - 0.999) * grad * grad
        m_hat = first[name] / (1 - beta1**t)
        v_hat = second[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
)
# eps is ignored (1e-8 is used): wrong on the hidden cases with eps=1e-4
BUGGY['adamw']['ignores_eps'] = Misconception(
    "eps is an argument like the others: a hard-coded 1e-8 in the denominator ignores the caller's "
    "value, which changes the step when the gradients are small.",
    '''
def adamw_step(
    params: dict,
    grads: dict,
    state: dict,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> None:
    """One step of AdamW, in place (PyTorch's AdamW): theta <- theta * (1 - lr * weight_decay),
    then the Adam step with the gradient g (the decay does not enter m or v).

    Args:
        params: dict name -> parameter array, updated in place (every entry is decayed).
        grads: dict name -> gradient array.
        state: as for adam_step: state["t"], state["m"][name], state["v"][name].
        lr, beta1, beta2, eps: as for adam_step.
        weight_decay: lambda, the decoupled decay rate.
    """
    t = state["t"] = state.get("t", 0) + 1
    first, second = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        params[name] *= 1 - lr * weight_decay
        first[name] = beta1 * first.get(name, 0.0) + (1 - beta1) * grad
        second[name] = beta2 * second.get(name, 0.0) + (1 - beta2) * grad * grad
        m_hat = first[name] / (1 - beta1**t)
        v_hat = second[name] / (1 - beta2**t)
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
''',
)
# Issue 17: the state layout is prescribed (section 3: exactly the documented entries). Caching
# beta1 ** t and beta2 ** t in the state is right step by step but leaves entries the next step
# does not get: the state after each step differs from the reference's.
BUGGY["adam"]["extra_state_entries"] = Misconception(
    "The optimizer state holds exactly the documented entries, t, m and v: caching beta**t adds "
    "entries that a saved or inspected state does not expect, and t already determines them.",
    '''
def adam_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] = state.get("t", 0) + 1
    state["b1t"] = state.get("b1t", 1.0) * beta1
    state["b2t"] = state.get("b2t", 1.0) * beta2
    first, second = state.setdefault("m", {}), state.setdefault("v", {})
    for name, grad in grads.items():
        first[name] = beta1 * first.get(name, 0.0) + (1 - beta1) * grad
        second[name] = beta2 * second.get(name, 0.0) + (1 - beta2) * grad * grad
        m_hat = first[name] / (1 - state["b1t"])
        v_hat = second[name] / (1 - state["b2t"])
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
''',
)


# Issue 17: the state must not alias the caller's arrays. On the first step this stores the
# caller's gradient array itself as the velocity; the values of every step are right, but a
# training loop that refills its gradient buffers in place for the next step changes the
# velocity behind the optimizer's back (it was listed as correct before the memory check).
BUGGY["momentum"]["first_velocity_is_the_callers_gradient"] = Misconception(
    "The optimizer's state must own its arrays: keeping the caller's gradient array itself as the "
    "first velocity means that when the training loop refills its gradient buffers, the velocity "
    "changes behind the optimizer's back.",
    '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.get("velocity", {})
    new_velocity = {}
    for name, g in grads.items():
        new_velocity[name] = g if name not in velocity else momentum * velocity[name] + g
        params[name] = params[name] - lr * new_velocity[name]
    state["velocity"] = new_velocity
''',
)
CORRECT["momentum"]["copies_the_first_gradient"] = '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.get("velocity", {})
    new_velocity = {}
    for name, g in grads.items():
        new_velocity[name] = g.copy() if name not in velocity else momentum * velocity[name] + g
        params[name] = params[name] - lr * new_velocity[name]
    state["velocity"] = new_velocity
'''


# Issue 17: state reused across steps. The training-loop tests keep params, state and the
# gradient buffers from step to step, refill the buffers in place, follow a schedule (the
# momentum warmed up from 0, the learning rate decayed) and have a dead unit whose gradient is
# exactly 0 at every step.
# Nesterov's velocity is the caller's gradient array itself on the first step (v = g): right
# values, but a loop that refills its gradient buffers changes the velocity; the memory check
# fails the first step of every trajectory (it shares memory with grads). Caught already before
# the loops were added: the momentum family's alias, listed for Nesterov too. (The adaptive
# methods' first state is g * g or (1 - beta) * g, a new array: no realistic alias there.)
BUGGY["nesterov"]["first_velocity_is_the_callers_gradient"] = Misconception(
    "The optimizer's state must own its arrays: keeping the caller's gradient array itself as the "
    "first velocity means that when the training loop refills its gradient buffers, the velocity "
    "changes behind the optimizer's back.",
    '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, g in grads.items():
        v = g if name not in velocity else momentum * velocity[name] + g
        velocity[name] = v
        params[name] = params[name] - lr * (g + momentum * v)
''',
)
CORRECT["nesterov"]["copies_the_first_gradient"] = '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, g in grads.items():
        v = np.array(g, copy=True) if name not in velocity else momentum * velocity[name] + g
        velocity[name] = v
        params[name] = params[name] - lr * (g + momentum * v)
'''
# PyTorch's shortcut: no velocity is kept while momentum is 0, so when the schedule raises
# the momentum the velocity restarts from this step's gradient instead of mu * v + g: the
# training loop whose momentum is warmed up from 0 (state["velocity"] missing after step 1)
BUGGY["momentum"]["no_velocity_at_momentum_zero"] = Misconception(
    "The velocity is kept at every step, also while momentum is 0 (then v = g): skipping it leaves "
    "nothing to continue from when a schedule raises the momentum later, so the velocity restarts "
    "instead of being mu * v + g.",
    '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    for name, grad in grads.items():
        if momentum == 0:
            params[name] -= lr * grad
            continue
        velocity = state.setdefault("velocity", {})
        velocity[name] = momentum * velocity.get(name, 0.0) + grad
        params[name] -= lr * velocity[name]
''',
)
BUGGY["nesterov"]["no_velocity_at_momentum_zero"] = Misconception(
    "The velocity is kept at every step, also while momentum is 0 (then v = g): skipping it leaves "
    "nothing to continue from when a schedule raises the momentum later, so the velocity restarts "
    "instead of being mu * v + g.",
    '''
def nesterov_step(params, grads, state, lr=0.01, momentum=0.9):
    if momentum == 0:
        for name, grad in grads.items():
            params[name] -= lr * grad
        return
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        velocity[name] = momentum * velocity.get(name, 0.0) + grad
        params[name] -= lr * (grad + momentum * velocity[name])
''',
)
# a correct momentum whose velocity is float64 (np.zeros, not zeros_like) and which rebinds
# params[name]: float32 parameters become float64 (no dtype is prescribed); the training loop
# passes its params and state on from step to step, and that must not fail it
CORRECT["momentum"]["float64_velocity_rebinds_params"] = '''
def momentum_step(params, grads, state, lr=0.01, momentum=0.9):
    velocity = state.setdefault("velocity", {})
    for name, grad in grads.items():
        v = velocity.get(name, np.zeros(np.shape(grad)))
        velocity[name] = momentum * v + grad
        params[name] = params[name] - lr * velocity[name]
'''
