"""Benchmark: training the same MLP on MNIST in NumPy, PyTorch on the CPU and PyTorch on the GPU.

    python benchmarks/mnist_train.py [--epochs 5] [--batch 256] [--lr 0.2] [--hidden 256,256]
                                     [--train-subset N] [--backends numpy,torch-cpu,torch-gpu]
                                     [--threads T] [--seed 0] [--warmup 3] [--amp] [--compile]

Trains an MLP 784-256-256-10 (ReLU, softmax cross-entropy, He-normal weights from a fixed
seed, zero biases, float32) on all 60000 MNIST training images (``load_mnist(val_size=0)``,
pixels float32 in [0, 1]) with one fixed recipe, in each backend:

1. ``numpy``: forward, backward and update written out below, vectorised, float32;
2. ``torch-cpu``: PyTorch eager on the CPU (nn.Linear/ReLU, cross_entropy, torch.optim.SGD);
3. ``torch-gpu``: the same PyTorch code on a CUDA device, when there is one (else its row
   says "not available"), with the whole data set moved to the device once, the shuffle a
   device-side ``randperm``, the fused SGD kernel, and optionally bf16 autocast (``--amp``)
   and ``torch.compile`` of the model (``--compile``); both flags apply to this backend only.

The recipe is the same everywhere: the same initial weights, ``--epochs`` epochs, each a fresh
shuffle cut into batches of ``--batch`` (the incomplete last batch is dropped, so every step
has the same shape), SGD with momentum 0.9 (PyTorch's form: ``v = 0.9 v + g; p -= lr v``) and
the learning rate decayed linearly from ``--lr`` to 0 over the run, no weight decay. Only the
shuffles differ (NumPy's and PyTorch's generators, from the same seed).

Only training is timed: per epoch, from the shuffle to the last update (on the GPU between
``torch.cuda.synchronize()`` calls); not loading the data, not moving it to the device, not
the per-epoch line, not the evaluation. Before the clock starts, ``--warmup`` steps (CUDA
context, cuBLAS, torch.compile's compilation, ...) run and are thrown away: the weights and
the momentum are reset to their initial values. Test accuracy is measured on the 10000 test
images after training, in float32 (also after --amp training).

It prints a line per epoch, then each backend's training time, throughput (samples/s), test
accuracy and speed-up over NumPy (the ratio of throughputs), the issue's targets for the GPU
(at least 98% test accuracy with under 1 s of training; over 50x NumPy's throughput) with
PASS or MISS, and a table of it all. Figures, not assertions: this is not a test, and a MISS
does not change the exit status.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.data import load_mnist

from mlp_step import init_params, sequential_from_params, set_threads  # shared with mlp_step.py

INPUTS, CLASSES = 784, 10
MOMENTUM = 0.9
BACKENDS = ("numpy", "torch-cpu", "torch-gpu")
TARGET_ACCURACY, TARGET_SECONDS, TARGET_SPEEDUP = 98.0, 1.0, 50.0
NO_GPU = "not available: no CUDA device"

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Data:
    """``X_train: (N, 784) float32`` in [0, 1], ``y_train: (N,) int64``, same for test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Recipe:
    """What every backend trains: layer sizes, schedule, batch, seeds, warm-up steps."""

    sizes: list[int]
    epochs: int
    batch: int
    lr: float
    seed: int
    warmup: int

    def lr_at(self, step: int, total: int) -> float:
        """Learning rate of step ``step`` of ``total``: linear from ``lr`` down to 0."""
        return self.lr * (1.0 - step / total)


@dataclass(frozen=True)
class Result:
    """One backend's figures; ``note`` instead of figures when it did not run."""

    backend: str
    seconds: float = 0.0
    samples: int = 0
    accuracy: float = 0.0  # percent
    note: str = ""

    @property
    def throughput(self) -> float:
        return self.samples / self.seconds


# ---------------------------------------------------------------- shared


def load_data(subset: int | None) -> Data:
    """All 60000 MNIST training images (or the first ``subset`` of them, in load_mnist's
    seeded shuffled order) and the 10000 test images, as float32 in [0, 1] and int64."""
    ds = load_mnist(val_size=0)
    X_train, y_train = ds.X_train[:subset], ds.y_train[:subset]

    def pixels(X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.max() > 1.0:  # load_mnist already scales to [0, 1]; this guards the assumption
            X = X / np.float32(255)
        return X

    return Data(
        pixels(X_train), y_train.astype(np.int64), pixels(ds.X_test), ds.y_test.astype(np.int64)
    )


def run_epochs(
    recipe: Recipe,
    n: int,
    backend: str,
    shuffle: Callable[[], None],
    step: Callable[[int, float], None],
    epoch_loss: Callable[[], float],
    sync: Callable[[], None] = lambda: None,
) -> float:
    """The training loop every backend shares; returns the seconds spent training.

    Per epoch: ``shuffle()`` makes a fresh permutation of the ``n`` training images, then
    ``step(i, lr)`` trains on batch ``i`` of it; ``epoch_loss()`` (untimed) gives the epoch's
    mean loss for the per-epoch line. ``sync()`` waits for queued device work.
    """
    steps = n // recipe.batch
    total = recipe.epochs * steps
    seconds = 0.0
    for epoch in range(recipe.epochs):
        sync()
        start = time.perf_counter()
        shuffle()
        for i in range(steps):
            step(i, recipe.lr_at(epoch * steps + i, total))
        sync()
        elapsed = time.perf_counter() - start
        seconds += elapsed
        print(
            f"  {backend:<10s} epoch {epoch + 1}/{recipe.epochs}  loss {epoch_loss():.4f}"
            f"  {elapsed:7.2f} s",
            flush=True,
        )
    return seconds


# ---------------------------------------------------------------- NumPy


def numpy_forward(params: Params, X: np.ndarray) -> list[np.ndarray]:
    """Activations of every layer for ``X: (B, 784)``: ``[X, a1, ..., logits]``, where
    ``a_l = relu(a_{l-1} @ W_l + b_l)``, each ``(B, D_l)``, and the logits ``(B, 10)`` have
    no ReLU."""
    count = len(params) // 2
    acts = [X]
    for layer in range(1, count + 1):
        z = acts[-1] @ params[f"W{layer}"]
        z += params[f"b{layer}"]
        if layer < count:
            np.maximum(z, 0, out=z)
        acts.append(z)
    return acts


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` for ``logits: (B, C)``, ``y: (B,)``, and its
    gradient ``(B, C)``, ``(softmax - onehot) / B``, computed in place in ``logits``."""
    B = len(y)
    rows = np.arange(B)
    logits -= logits.max(axis=1, keepdims=True)
    picked = logits[rows, y]  # a copy: the shifted logit of the true class
    np.exp(logits, out=logits)
    sums = logits.sum(axis=1)
    loss = float(np.mean(np.log(sums) - picked))
    logits /= sums[:, None]
    logits[rows, y] -= 1
    logits /= np.float32(B)
    return loss, logits


def numpy_loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Loss on a batch ``X: (B, 784)``, ``y: (B,)`` and the gradient of every parameter:
    ``dW_l = a_{l-1}.T @ d_l``, ``db_l = sum_B d_l`` and, going down a layer,
    ``d_{l-1} = (d_l @ W_l.T) * (a_{l-1} > 0)``, where ``d_L`` is the logits' gradient."""
    acts = numpy_forward(params, X)
    loss, d = softmax_cross_entropy(acts.pop(), y)
    grads: Params = {}
    for layer in range(len(params) // 2, 0, -1):
        a = acts.pop()
        grads[f"W{layer}"] = a.T @ d
        grads[f"b{layer}"] = d.sum(axis=0)
        if layer > 1:
            d = d @ params[f"W{layer}"].T
            d *= a > 0
    return loss, grads


def momentum_update(params: Params, grads: Params, velocity: Params, lr: float) -> None:
    """SGD with momentum in place, as torch.optim.SGD does it: ``v = 0.9 v + g; p -= lr v``.
    The gradient's buffer holds ``lr v``, so no temporary array is allocated."""
    for name, g in grads.items():
        v = velocity[name]
        v *= np.float32(MOMENTUM)
        v += g
        np.multiply(v, np.float32(lr), out=g)
        params[name] -= g


def numpy_accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Percent of ``X: (N, 784)`` whose largest logit is the label ``y: (N,)``."""
    return 100.0 * float(np.mean(numpy_forward(params, X)[-1].argmax(axis=1) == y))


def train_numpy(recipe: Recipe, data: Data) -> Result:
    """Train with the NumPy code above; untimed warm-up steps, then the weights reset."""
    initial = init_params(recipe.sizes, recipe.seed)
    X, y, B = data.X_train, data.y_train, recipe.batch

    params = {k: v.copy() for k, v in initial.items()}
    velocity = {k: np.zeros_like(v) for k, v in initial.items()}
    for _ in range(recipe.warmup):
        _, grads = numpy_loss_and_grads(params, X[:B], y[:B])
        momentum_update(params, grads, velocity, recipe.lr)
    params = {k: v.copy() for k, v in initial.items()}
    velocity = {k: np.zeros_like(v) for k, v in initial.items()}

    rng = np.random.default_rng(recipe.seed + 1)
    state: dict[str, np.ndarray] = {}
    losses: list[float] = []

    def shuffle() -> None:
        perm = rng.permutation(len(X))
        state["X"], state["y"] = X[perm], y[perm]
        losses.clear()

    def step(i: int, lr: float) -> None:
        loss, grads = numpy_loss_and_grads(
            params, state["X"][i * B : (i + 1) * B], state["y"][i * B : (i + 1) * B]
        )
        momentum_update(params, grads, velocity, lr)
        losses.append(loss)

    seconds = run_epochs(recipe, len(X), "numpy", shuffle, step, lambda: float(np.mean(losses)))
    samples = recipe.epochs * (len(X) // B) * B
    return Result("numpy", seconds, samples, numpy_accuracy(params, data.X_test, data.y_test))


# ---------------------------------------------------------------- PyTorch


def train_torch(
    recipe: Recipe,
    data: Data,
    device: torch.device,
    amp: bool = False,
    compile: bool = False,
) -> Result:
    """Train the PyTorch model on ``device``: data moved there once, a device-side shuffle,
    optional bf16 autocast and torch.compile; untimed warm-up steps, then the weights reset."""
    name = "torch-gpu" if device.type == "cuda" else "torch-cpu"
    X = torch.from_numpy(data.X_train).to(device)
    y = torch.from_numpy(data.y_train).to(device)
    B = recipe.batch
    model = sequential_from_params(init_params(recipe.sizes, recipe.seed)).to(device)
    initial = [p.detach().clone() for p in model.parameters()]
    forward: Callable[[torch.Tensor], torch.Tensor] = torch.compile(model) if compile else model

    def optimizer() -> torch.optim.SGD:
        fused = device.type == "cuda"  # one kernel for the whole update
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=MOMENTUM, fused=fused)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def train_step(opt: torch.optim.SGD, Xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = F.cross_entropy(forward(Xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    opt = optimizer()
    for _ in range(recipe.warmup):
        train_step(opt, X[:B], y[:B])
    sync()
    with torch.no_grad():
        for p, p0 in zip(model.parameters(), initial, strict=True):
            p.copy_(p0)  # in place: the compiled model keeps using the same parameters
    opt = optimizer()  # and a fresh momentum

    generator = torch.Generator(device=device).manual_seed(recipe.seed + 1)
    state: dict[str, torch.Tensor] = {}

    def shuffle() -> None:
        perm = torch.randperm(len(X), device=device, generator=generator)
        state["X"], state["y"] = X[perm], y[perm]  # one gather; the batches are views
        state["loss"] = torch.zeros((), device=device)

    def step(i: int, lr: float) -> None:
        for group in opt.param_groups:
            group["lr"] = lr
        loss = train_step(opt, state["X"][i * B : (i + 1) * B], state["y"][i * B : (i + 1) * B])
        state["loss"] += loss

    def epoch_loss() -> float:
        return state["loss"].item() / (len(X) // B)

    seconds = run_epochs(recipe, len(X), name, shuffle, step, epoch_loss, sync)
    samples = recipe.epochs * (len(X) // B) * B
    with torch.no_grad():
        logits = model(torch.from_numpy(data.X_test).to(device)).float()
        correct = (logits.argmax(dim=1).cpu().numpy() == data.y_test).mean()
    return Result(name, seconds, samples, 100.0 * float(correct))


# ---------------------------------------------------------------- report


def _blas() -> tuple[str, int | None]:
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
                return f"{pool['internal_api']} {pool['version']}", pool["num_threads"]
    except ImportError:
        pass
    return "unknown BLAS", None


def _targets(results: dict[str, Result]) -> list[tuple[str, str]]:
    """The issue's two GPU targets, each with PASS / MISS and the figures, or why not."""
    gpu, base = results.get("torch-gpu"), results.get("numpy")
    fast = (
        f"at least {TARGET_ACCURACY:g}% test accuracy with under {TARGET_SECONDS:g} s of training"
    )
    ratio = f"over {TARGET_SPEEDUP:g}x the NumPy training throughput"
    if gpu is None or gpu.note:
        why = "not measured: no GPU" if gpu is not None else "not measured: torch-gpu not run"
        return [(fast, why), (ratio, why)]
    ok = gpu.accuracy >= TARGET_ACCURACY and gpu.seconds < TARGET_SECONDS
    rows = [(fast, f"{'PASS' if ok else 'MISS'} ({gpu.accuracy:.2f}%, {gpu.seconds:.3f} s)")]
    if base is None:
        rows.append((ratio, "not measured: numpy not run"))
    else:
        speedup = gpu.throughput / base.throughput
        rows.append((ratio, f"{'PASS' if speedup > TARGET_SPEEDUP else 'MISS'} ({speedup:.1f}x)"))
    return rows


def report(results: dict[str, Result]) -> None:
    """Each backend's figures, the targets and the table."""
    base = results.get("numpy")

    def speedup(r: Result) -> str:
        return f"{r.throughput / base.throughput:.2f}x" if base is not None else "n/a"

    print()
    print("targets (the issue's, for the GPU):")
    for target, verdict in _targets(results):
        print(f"  {target:<62s} {verdict}")
    print()
    head = ("backend", "train time (s)", "samples/s", "test acc (%)", "vs NumPy")
    widths = [max(len(head[0]), *(len(r.backend) for r in results.values())), *map(len, head[1:])]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]]) + "|")
    for r in results.values():
        if r.note:
            print(f"| {r.backend:<{widths[0]}s} | {r.note} |")
            continue
        cells = (f"{r.seconds:.3f}", f"{r.throughput:.0f}", f"{r.accuracy:.2f}", speedup(r))
        row = [r.backend.ljust(widths[0])]
        row += [c.rjust(w) for c, w in zip(cells, widths[1:], strict=True)]
        print("| " + " | ".join(row) + " |")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.2, help="initial learning rate")
    parser.add_argument("--hidden", default="256,256", help="hidden layer sizes")
    parser.add_argument(
        "--train-subset", type=int, default=None, help="train on the first N training images"
    )
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"some of {', '.join(BACKENDS)}"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch and BLAS threads (default: the CPUs this process may use)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and shuffles")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps, then a reset")
    parser.add_argument("--amp", action="store_true", help="bf16 autocast (torch-gpu only)")
    parser.add_argument("--compile", action="store_true", help="torch.compile (torch-gpu only)")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    if args.epochs < 1 or args.batch < 1 or args.warmup < 0:
        parser.error("--epochs and --batch must be positive, --warmup not negative")
    return args


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    hidden = [int(n) for n in args.hidden.split(",") if n.strip()]
    recipe = Recipe(
        sizes=[INPUTS, *hidden, CLASSES],
        epochs=args.epochs,
        batch=args.batch,
        lr=args.lr,
        seed=args.seed,
        warmup=args.warmup,
    )
    available, _ = set_threads(args.threads)

    data = load_data(args.train_subset)
    n = len(data.X_train)
    if n < args.batch:
        raise SystemExit(f"--batch {args.batch} is larger than the {n} training images")
    steps = n // args.batch
    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name() if cuda else "none"
    blas, blas_threads = _blas()
    print(
        f"MNIST: {n} training images, {len(data.X_test)} test images, {data.X_train.dtype}"
        f" in [{data.X_train.min():g}, {data.X_train.max():g}]"
    )
    print(
        f"MLP {'-'.join(map(str, recipe.sizes))}, ReLU, softmax cross-entropy, He-normal init"
        f" (seed {args.seed}); {args.epochs} epochs x {steps} steps of batch {args.batch}"
        f" ({n - steps * args.batch} images of each shuffle dropped)"
    )
    print(
        f"SGD momentum {MOMENTUM}, lr {args.lr:g} decayed linearly to 0, no weight decay;"
        f" {args.warmup} warm-up steps untimed, then the weights reset"
    )
    print(
        f"numpy {np.__version__} ({blas}, {blas_threads or '?'} threads);"
        f" torch {torch.__version__} ({torch.get_num_threads()} threads); {available} CPUs;"
        f" GPU: {gpu} (bf16 autocast {'on' if args.amp else 'off'},"
        f" torch.compile {'on' if args.compile else 'off'})"
    )
    if n < 60000:
        print(f"note: {n} of the 60000 training images, so the accuracy is not the issue's figure")

    results: dict[str, Result] = {}
    for backend in args.backends:
        if backend == "numpy":
            result = train_numpy(recipe, data)
        elif backend == "torch-cpu":
            result = train_torch(recipe, data, torch.device("cpu"))
        elif not cuda:
            result = Result("torch-gpu", note=NO_GPU)
        else:
            result = train_torch(recipe, data, torch.device("cuda"), args.amp, args.compile)
        results[backend] = result
        if result.note:
            print(f"{backend}: {result.note}")
        else:
            base = results.get("numpy")
            vs = f", {result.throughput / base.throughput:.2f}x NumPy" if base else ""
            print(
                f"{backend}: {result.seconds:.3f} s training, {result.throughput:.0f} samples/s,"
                f" test accuracy {result.accuracy:.2f}%{vs}"
            )
    report(results)


if __name__ == "__main__":
    main()
