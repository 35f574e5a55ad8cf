"""Benchmark: one training step of assignment 02's reference NumPy MLP against PyTorch eager.

    python benchmarks/mlp_step.py [--steps 50] [--rounds 6] [--warmup 10] [--batch 128]
                                  [--hidden 512,512] [--threads T] [--reg 0] [--pause 0.5]

Times one SGD training step (forward, softmax cross-entropy, backward, update) of the
reference ``mlp_loss`` of assignment 02 (``reference("02_backpropagation")``) on an MLP
784-512-512-10 in float32 with random MNIST-shaped data (fixed seed, no data files), against
the same network in PyTorch eager on the CPU (nn.Linear/ReLU, cross_entropy, torch.optim.SGD
with weight decay on the weights only, which is the L2 penalty ``0.5 * reg * sum(W**2)``).
By default the step has no regularization, as specified; ``--reg`` adds the L2 penalty
(and the same weight decay to torch's SGD). It also times the "floor": the eight matrix
products the step cannot avoid (three forward, three ``x.T @ dout`` weight gradients, two
``dout @ W.T`` input gradients; the first layer's input gradient is skipped), in the
layouts the step uses.

Running NumPy and PyTorch matrix products back to back slows PyTorch on some machines, so
every round times a block of each kind with a pause between blocks, and each figure is the
median over all the steps of its kind. It prints a table (numpy step, torch step, their
ratio, the floor, numpy / floor, the targets numpy/torch <= 1.0 and numpy/floor <= 1.3 with
PASS or MISS), each product in NumPy and in torch, and where the NumPy step's time goes
beyond the floor: each layer function of the reference timed in one chained
forward/backward pass, the rest of mlp_loss, the L2 term and the update. Those parts are
timed apart, so "rest" and "L2" are differences of medians (noise can make them negative,
e.g. "L2" with --reg 0). Before timing, one step of each from the same weights is compared
("same step check"). Figures, not assertions: this is not a test, and a MISS does not
change the exit status.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from types import ModuleType

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.grading import reference

ASSIGNMENT = "02_backpropagation"
INPUTS, CLASSES = 784, 10
LR = 0.01
POOL = 8  # distinct random batches, cycled, so the network does not just memorise one
TARGET_TORCH, TARGET_FLOOR = 1.0, 1.3
NOISY = 1.3  # p75 / p25 of a row above which the figures are not worth much

Params = dict[str, np.ndarray]
Timings = dict[str, list[int]]  # name -> nanoseconds of each call
Product = tuple[str, np.ndarray, np.ndarray]  # name, a, b of a @ b


def init_params(sizes: list[int], seed: int = 0) -> Params:
    """He-normal weights (D_in, D_out) and zero biases, float32, as the lesson does."""
    rng = np.random.default_rng(seed)
    params: Params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        params[f"W{layer}"] = W.astype(np.float32)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=np.float32)
    return params


def sgd_update(params: Params, grads: Params, lr: float) -> None:
    """Plain SGD, in place, as the reference's sgd_epoch does it: the gradient is scaled in
    place and subtracted, so no temporary array is allocated."""
    for name, grad in grads.items():
        grad *= lr
        params[name] -= grad


def make_data(batch: int, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """POOL batches shaped like MNIST: pixels in [0, 1) as float32, labels 0..9 as int64."""
    rng = np.random.default_rng(seed)
    X = rng.random((POOL * batch, INPUTS), dtype=np.float32)
    y = rng.integers(0, CLASSES, POOL * batch)
    return [(X[i * batch : (i + 1) * batch], y[i * batch : (i + 1) * batch]) for i in range(POOL)]


def set_threads(requested: int | None) -> tuple[int, int]:
    """Use ``requested`` torch and BLAS threads (default: every CPU this process may use);
    returns (the CPUs available, the threads used)."""
    available = len(os.sched_getaffinity(0))
    threads = requested or available
    torch.set_num_threads(threads)
    if requested:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(threads, user_api="blas")
        except ImportError:
            pass
    return available, threads


def sequential_from_params(params: Params) -> nn.Sequential:
    """The network of ``params`` (``W{l}: (D_in, D_out)``, ``b{l}``) as Linear, ReLU, ...,
    Linear, from copies of the same weights (nn.Linear keeps ``W.T``)."""
    layers: list[nn.Module] = []
    count = len(params) // 2
    for layer in range(1, count + 1):
        W = params[f"W{layer}"]
        linear = nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T))
            linear.bias.copy_(torch.from_numpy(params[f"b{layer}"]))
        layers.append(linear)
        if layer < count:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def torch_model(params: Params, reg: float) -> tuple[nn.Sequential, torch.optim.SGD]:
    """The same network in PyTorch, starting from the same weights; the L2 penalty is the
    weight decay of the weights' parameter group."""
    model = sequential_from_params(params)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    groups = [
        {"params": [m.weight for m in linears], "weight_decay": reg},
        {"params": [m.bias for m in linears], "weight_decay": 0.0},
    ]
    return model, torch.optim.SGD(groups, lr=LR)


def torch_step(
    model: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor
) -> float:
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    return loss.item()  # mlp_loss returns a float too


def numpy_step(ref: ModuleType, params: Params, X: np.ndarray, y: np.ndarray, reg: float) -> float:
    loss, grads = ref.mlp_loss(params, X, y, reg)
    sgd_update(params, grads, LR)
    return loss


def check_same_step(
    ref: ModuleType, params: Params, X: np.ndarray, y: np.ndarray, reg: float
) -> str:
    """One step of each from the same weights: the two must compute the same thing."""
    mine = {k: v.copy() for k, v in params.items()}
    model, opt = torch_model(params, reg)
    loss = numpy_step(ref, mine, X, y, reg)
    penalty = 0.5 * reg * sum(float(np.vdot(v, v)) for k, v in params.items() if k[0] == "W")
    torch_loss = torch_step(model, opt, torch.from_numpy(X), torch.from_numpy(y)) + penalty
    linears = [m for m in model if isinstance(m, nn.Linear)]
    diff = 0.0
    for layer, m in enumerate(linears, start=1):
        diff = max(
            diff,
            float(np.abs(mine[f"W{layer}"] - m.weight.detach().numpy().T).max()),
            float(np.abs(mine[f"b{layer}"] - m.bias.detach().numpy()).max()),
        )
    return f"loss {loss:.5f} vs torch {torch_loss:.5f}, max |param difference| {diff:.1e}"


def products(sizes: list[int], batch: int, seed: int = 2) -> list[Product]:
    """The matrix products of one step, in its layouts: ``h @ W``, ``h.T @ d``, ``d @ W.T``.

    Every operand is a fresh C-contiguous float32 array (or its ``.T``), as in the step.
    """
    rng = np.random.default_rng(seed)

    def rand(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32)

    count = len(sizes) - 1
    acts = [rand(batch, n) for n in sizes[:-1]]  # the input of each layer
    deltas = [rand(batch, n) for n in sizes[1:]]  # d loss / d output of each layer
    weights = [rand(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    found = []
    for layer in range(1, count + 1):
        found.append((f"fwd {layer}", acts[layer - 1], weights[layer - 1]))
    for layer in range(count, 0, -1):
        found.append((f"dW {layer}", acts[layer - 1].T, deltas[layer - 1]))
        if layer > 1:
            found.append((f"dx {layer}", deltas[layer - 1], weights[layer - 1].T))
    return found


def _shape(a: np.ndarray, b: np.ndarray, name: str) -> str:
    ta = ".T" if a.flags.f_contiguous and not a.flags.c_contiguous else ""
    tb = ".T" if b.flags.f_contiguous and not b.flags.c_contiguous else ""
    return f"{name:5s} {a.shape[0]}x{a.shape[1]}{ta} @ {b.shape[0]}x{b.shape[1]}{tb}"


def op_chain(
    ref: ModuleType,
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    record: Callable[[str, int], None],
) -> None:
    """One forward/backward pass (reg=0, no update) through the reference's layer functions,
    chained as mlp_loss chains them, timing each call."""
    count = len(params) // 2
    clock = time.perf_counter_ns
    h, caches = X, []
    for layer in range(1, count + 1):
        start = clock()
        h, cache = ref.linear_forward(h, params[f"W{layer}"], params[f"b{layer}"])
        record(f"linear_forward {layer}", clock() - start)
        caches.append(cache)
        if layer < count:
            start = clock()
            h, cache = ref.relu_forward(h)
            record(f"relu_forward {layer}", clock() - start)
            caches.append(cache)
    start = clock()
    _, d = ref.softmax_cross_entropy(h, y)
    record("softmax_cross_entropy", clock() - start)
    for layer in range(count, 0, -1):
        if layer < count:
            start = clock()
            d = ref.relu_backward(d, caches.pop())
            record(f"relu_backward {layer}", clock() - start)
        start = clock()
        d, _, _ = ref.linear_backward(d, caches.pop(), need_dx=layer > 1)
        record(f"linear_backward {layer}", clock() - start)


def op_names(count: int) -> list[str]:
    """The layer-function calls of one chained pass, in op_chain's order."""
    names = []
    for layer in range(1, count + 1):
        names.append(f"linear_forward {layer}")
        if layer < count:
            names.append(f"relu_forward {layer}")
    names.append("softmax_cross_entropy")
    for layer in range(count, 0, -1):
        if layer < count:
            names.append(f"relu_backward {layer}")
        names.append(f"linear_backward {layer}")
    return names


def _record(into: Timings) -> Callable[[str, int], None]:
    return lambda name, ns: into.setdefault(name, []).append(ns)


def _ms(samples: list[int]) -> float:
    return statistics.median(samples) / 1e6


def _quartiles_ms(samples: list[int]) -> str:
    q = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
    return f"{q[0] / 1e6:.3f}..{q[2] / 1e6:.3f}"


def _spread(samples: list[int]) -> float:
    if len(samples) < 2:
        return 1.0
    q = statistics.quantiles(samples, n=4)
    return q[2] / q[0]


def _blas() -> tuple[str, int | None]:
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
                arch = pool.get("architecture") or "?"
                name = f"{pool['internal_api']} {pool['version']}, {arch}"
                return name, pool["num_threads"]
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']}", None
    except Exception:  # only for the header: any failure just means "unknown"
        return "unknown BLAS", None


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="timed steps per block")
    parser.add_argument("--rounds", type=int, default=6, help="rounds of alternating blocks")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps of each kind")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--hidden", default="512,512", help="hidden layer sizes")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch and BLAS threads (default: the CPUs this process may use)",
    )
    parser.add_argument(
        "--reg",
        type=float,
        default=0.0,
        help="L2 penalty (weight decay in torch); the issue's step has none, so 0 by default",
    )
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between blocks")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    hidden = [int(n) for n in args.hidden.split(",") if n.strip()]
    sizes = [INPUTS, *hidden, CLASSES]
    available, threads = set_threads(args.threads)

    ref = reference(ASSIGNMENT)
    data = make_data(args.batch)
    tdata = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in data]
    check = check_same_step(ref, init_params(sizes), *data[0], args.reg)
    np_params = init_params(sizes)
    model, opt = torch_model(np_params, args.reg)
    prods = products(sizes, args.batch)
    tprods = [(name, torch.from_numpy(a), torch.from_numpy(b)) for name, a, b in prods]
    clock = time.perf_counter_ns
    try:
        op_chain(ref, np_params, *data[0], lambda *_: None)
        chain_error = ""
    except (AttributeError, TypeError, ValueError) as error:
        chain_error = f"{type(error).__name__}: {error}"

    # Each block times n iterations of one kind into `into`; warm-up passes a throwaway dict.
    def numpy_block(n: int, into: Timings) -> None:
        for i in range(n):
            X, y = data[i % POOL]
            start = clock()
            numpy_step(ref, np_params, X, y, args.reg)
            into.setdefault("numpy step", []).append(clock() - start)

    def torch_block(n: int, into: Timings) -> None:
        for i in range(n):
            X, y = tdata[i % POOL]
            start = clock()
            torch_step(model, opt, X, y)
            into.setdefault("torch step", []).append(clock() - start)

    def floor_block(n: int, into: Timings, kind: str, ops: list) -> None:
        for _ in range(n):
            total = 0
            for name, a, b in ops:
                start = clock()
                a @ b
                ns = clock() - start
                into.setdefault(f"{kind} {name}", []).append(ns)
                total += ns
            into.setdefault(f"{kind} floor", []).append(total)

    def parts_block(n: int, into: Timings) -> None:
        for i in range(n):
            X, y = data[i % POOL]
            start = clock()
            ref.mlp_loss(np_params, X, y, 0.0)
            middle = clock()
            _, grads = ref.mlp_loss(np_params, X, y, args.reg)
            end = clock()
            sgd_update(np_params, grads, LR)
            into.setdefault("mlp_loss reg=0", []).append(middle - start)
            into.setdefault("mlp_loss", []).append(end - middle)
            into.setdefault("update", []).append(clock() - end)
            if not chain_error:
                op_chain(ref, np_params, X, y, _record(into))

    blocks: list[Callable[[int, Timings], None]] = [
        numpy_block,
        torch_block,
        lambda n, into: floor_block(n, into, "numpy", prods),
        lambda n, into: floor_block(n, into, "torch", tprods),
        parts_block,
    ]
    for block in blocks:
        block(args.warmup, {})
        time.sleep(args.pause)
    t: Timings = {}
    for _ in range(args.rounds):
        for block in blocks:
            block(args.steps, t)
            time.sleep(args.pause)
    final_np = numpy_step(ref, np_params, *data[0], args.reg)
    final_torch = torch_step(model, opt, *tdata[0])
    report(args, sizes, available, check, (final_np, final_torch), t, prods, chain_error)


def report(
    args: argparse.Namespace,
    sizes: list[int],
    available: int,
    check: str,
    final: tuple[float, float],
    t: Timings,
    prods: list[Product],
    chain_error: str,
) -> None:
    blas, blas_threads = _blas()
    step_np, step_torch, floor = (_ms(t[k]) for k in ("numpy step", "torch step", "numpy floor"))
    arch = "-".join(map(str, sizes))
    print(
        f"MLP {arch}, batch {args.batch}, float32, lr {LR}, reg {args.reg}; {args.rounds} rounds"
        f" x {args.steps} steps per kind after {args.warmup} warm-up, pauses {args.pause} s"
    )
    print(
        f"numpy {np.__version__} ({blas}, {blas_threads or '?'} threads);"
        f" torch {torch.__version__} ({torch.get_num_threads()} threads);"
        f" {available} CPUs available"
    )
    print(f"same step check: {check}")
    print(f"loss at the end: numpy {final[0]:.4f}, torch {final[1]:.4f}")
    print()
    print(f"{'':44s} {'median ms':>10s} {'p25..p75 ms':>16s}")
    rows = [
        ("numpy step (mlp_loss + SGD update)", "numpy step"),
        ("torch eager step (nn.Linear, SGD)", "torch step"),
        (f"floor: {len(prods)} matrix products, numpy", "numpy floor"),
        ("same products in torch (info)", "torch floor"),
    ]
    for name, key in rows:
        print(f"{name:44s} {_ms(t[key]):10.3f} {_quartiles_ms(t[key]):>16s}")
    noisy = [name for name, key in rows if _spread(t[key]) > NOISY]
    if noisy:
        print(
            f"noisy: p75 / p25 > {NOISY} for {', '.join(noisy)}; another process or VM"
            " competes for the CPUs, rerun when the machine is quiet"
        )
    print()
    for name, ratio, target in (
        ("ratio numpy / torch", step_np / step_torch, TARGET_TORCH),
        ("ratio numpy / floor", step_np / floor, TARGET_FLOOR),
    ):
        verdict = "PASS" if ratio <= target else "MISS"
        print(f"{name:44s} {ratio:10.2f}   target <= {target:.1f}  {verdict}")

    print()
    print(f"{'matrix products (the floor), median ms':44s} {'numpy':>10s} {'torch':>8s}")
    for name, a, b in prods:
        numpy_ms, torch_ms = _ms(t[f"numpy {name}"]), _ms(t[f"torch {name}"])
        print(f"  {_shape(a, b, name):42s} {numpy_ms:10.3f} {torch_ms:8.3f}")

    print()
    print("where the numpy step's time goes beyond the floor, median ms")
    print(f"{'':44s} {'total':>10s} {'products':>9s} {'beyond':>8s}")
    loss_reg, loss_plain, update = (_ms(t[k]) for k in ("mlp_loss", "mlp_loss reg=0", "update"))
    parts: list[tuple[str, float, float]] = []
    if chain_error:
        print(f"  (no per-function breakdown, the reference's layer functions: {chain_error})")
        parts.append(("mlp_loss, reg=0", loss_plain, floor))
    else:
        for name in op_names(len(sizes) - 1):
            kind, _, layer = name.partition(" ")
            covered = {"linear_forward": ["fwd"], "linear_backward": ["dW", "dx"]}.get(kind, [])
            keys = [f"numpy {p} {layer}" for p in covered]
            parts.append((name, _ms(t[name]), sum(_ms(t[k]) for k in keys if k in t)))
        chain = sum(total for _, total, _ in parts)
        parts.append(("rest: glue, cache misses (reg=0 - above)", loss_plain - chain, 0.0))
    parts.append(("L2 penalty + reg * W (mlp_loss - reg=0)", loss_reg - loss_plain, 0.0))
    parts.append(("SGD update, g *= lr; params[k] -= g", update, 0.0))
    for name, total, product in parts:
        print(f"  {name:42s} {total:10.3f} {product:9.3f} {total - product:8.3f}")
    together = sum(total for _, total, _ in parts)
    for name, total in (
        ("sum of the parts (timed apart)", together),
        ("numpy step (as timed above)", step_np),
    ):
        print(f"  {name:42s} {total:10.3f} {floor:9.3f} {total - floor:8.3f}")
    print(
        f"numpy/floor <= {TARGET_FLOOR} allows {(TARGET_FLOOR - 1) * floor:.3f} ms beyond"
        f" the floor; numpy/torch <= {TARGET_TORCH} needs a step <= {step_torch:.3f} ms"
    )


if __name__ == "__main__":
    main()
