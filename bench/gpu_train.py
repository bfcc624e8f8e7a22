"""Fine-tuning step time: keras-albert on Keras/JAX (XLA) vs HF transformers (eager and torch.compile), one run.

Same shapes and numerics for both: AlbertForSequenceClassification-style classifier, bf16 matmuls, float32
master weights, AdamW, random init of the albert-large-v2 shape, batch 32 x 128 by default. Prints step times,
the ratio to HF torch.compile, MFU (against `--peak-tflops`, the H100 SXM dense bf16 figure by default), peak
accelerator memory, and examples/s over real Rotten Tomatoes batches: ours length-bucketed, HF padded to 128.

Run on a GPU:  KERAS_BACKEND=jax python bench/gpu_train.py [--json OUT.json]
CPU smoke run: KERAS_BACKEND=jax python bench/gpu_train.py --tiny   (tiny shapes: proves the script runs)
"""
import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TINY = dict(vocab_size=8000, embedding_size=32, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=128, max_position_embeddings=128)
BUCKET = 16  # real batches are padded up to a multiple of this: few XLA shapes, little padding


def step_flops(c, batch, seq):
    """Matmul FLOPs of one training step (3 x forward): projection, per-layer dense + attention, pooler, head."""
    per_layer = 2 * batch * seq * (4 * c.hidden_size ** 2 + 2 * c.hidden_size * c.intermediate_size)
    per_layer += 2 * 2 * batch * seq * seq * c.hidden_size
    forward = per_layer * c.num_hidden_layers + 2 * batch * seq * c.embedding_size * c.hidden_size
    forward += 2 * batch * c.hidden_size * (c.hidden_size + 2)
    return 3 * forward


def timed(step, steps, warmup, sync):
    for _ in range(warmup):
        sync(step())
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        sync(step())
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


# ---------------------------------------------------------------- keras-albert on JAX

class KerasTrainer:
    """The documented Keras 3 JAX training loop: `stateless_call` + `optimizer.stateless_apply` under one
    `jax.jit` with donated state (no per-step Python work beyond the call)."""

    def __init__(self, config, lr=1e-5):
        import jax
        import keras

        from keras_albert.backbone import AlbertBackbone
        from keras_albert.heads import AlbertClassifier
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        keras.utils.set_random_seed(0)
        self.model = AlbertClassifier(AlbertBackbone(config), 2)
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

        self.step = jax.jit(step, donate_argnums=0)
        self.state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                      [v.value for v in self.optimizer.variables])

    def run(self, x, y):
        loss, self.state = self.step(self.state, x, y)
        return loss

    @staticmethod
    def sync(value):
        return value.block_until_ready()


# ---------------------------------------------------------------- HF transformers (torch)

class TorchTrainer:
    def __init__(self, config, compile=False, lr=1e-5):
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

        self.step = torch.compile(step) if compile else step

    def tensors(self, x, y):
        t = self.torch
        return [t.as_tensor(x[k], device=self.device).long() for k in ("token_ids", "padding_mask", "segment_ids")] + \
            [t.as_tensor(y, device=self.device).long()]

    def sync(self, value):
        if self.device == "cuda":
            self.torch.cuda.synchronize()
        return value


def peak_memory_mb():
    out = {}
    try:
        import jax
        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            out["jax"] = round(stats["peak_bytes_in_use"] / 2**20)
    except Exception:  # CPU devices report no memory stats
        pass
    import torch
    if torch.cuda.is_available():
        out["torch"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return out


# ---------------------------------------------------------------- inputs

def random_batch(config, batch, seq, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = {"token_ids": rng.integers(5, config.vocab_size, (batch, seq)).astype("int32"),
         "segment_ids": np.zeros((batch, seq), "int32"), "padding_mask": np.ones((batch, seq), "int32")}
    return x, rng.integers(0, 2, batch).astype("int32")


def real_batches(config, batch, max_len, limit):
    """Rotten Tomatoes training batches as (bucketed batches, the same examples padded to max_len)."""
    import tempfile

    import numpy as np

    from keras_albert.data import splits
    from keras_albert.datasets import batch_plan
    from keras_albert.tokenizer import AlbertTokenizer, train_vocab
    texts, labels = splits()["train"]
    texts, labels = texts[:limit], np.asarray(labels[:limit], "int32")
    with tempfile.TemporaryDirectory() as tmp:
        train_vocab(texts, min(8000, config.vocab_size), os.path.join(tmp, "spiece.model"))
        tok = AlbertTokenizer.from_file(os.path.join(tmp, "spiece.model"))
        ids = [[2] + tok.tokenize(t)[:max_len - 2] + [3] for t in texts]
    lengths = np.asarray([len(i) for i in ids])

    def pack(index, length):
        x = np.zeros((len(index), length), "int32")
        for row, i in enumerate(index):
            x[row, :lengths[i]] = ids[i]
        return {"token_ids": x, "segment_ids": np.zeros_like(x), "padding_mask": (x > 0).astype("int32")}, labels[index]

    plan = batch_plan(lengths, batch, drop_remainder=True)
    bucketed = [pack(b, min(max_len, -(-int(lengths[b].max()) // BUCKET) * BUCKET)) for b in plan]
    padded = [pack(b, max_len) for b in plan]
    return bucketed, padded


def examples_per_s(trainer, batches, convert=lambda x, y: (x, y)):
    batches = [convert(*b) for b in batches]
    for b in {b[0]["token_ids"].shape if isinstance(b[0], dict) else tuple(b[0].shape): b for b in batches}.values():
        trainer.sync(trainer.run(*b))  # compile each shape once before timing
    start = time.perf_counter()
    for b in batches:
        value = trainer.run(*b)
    trainer.sync(value)
    return sum(len(b[-1]) for b in batches) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="albert-large-v2")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes for a CPU smoke run")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--real-examples", type=int, default=2048, help="Rotten Tomatoes sentences for examples/s")
    parser.add_argument("--peak-tflops", type=float, default=989.4, help="dense bf16 peak for MFU (H100 SXM)")
    parser.add_argument("--skip", default="", help="comma list of: eager, compile, real")
    parser.add_argument("--json")
    args = parser.parse_args()
    import dataclasses

    import keras

    from keras_albert.config import get_preset
    if keras.backend.backend() != "jax":
        parser.error("run with KERAS_BACKEND=jax")
    skip = set(filter(None, args.skip.split(",")))
    config = get_preset(args.preset)
    if args.tiny:
        config = dataclasses.replace(config, **TINY)
        args.batch, args.seq, args.steps, args.warmup = 4, 32, 3, 1
        args.real_examples = min(args.real_examples, 64)
    config = dataclasses.replace(config, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    x, y = random_batch(config, args.batch, args.seq)
    flops = step_flops(config, args.batch, args.seq)
    result = {"preset": args.preset, "tiny": args.tiny, "batch": args.batch, "seq": args.seq,
              "date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": platform.node() and platform.processor(),
              "step_tflop": round(flops / 1e12, 3), "step_ms": {}, "examples_per_s": {}}
    import jax
    result["device"] = str(jax.devices()[0])

    ours = KerasTrainer(config)
    xd, yd = jax.device_put((x, y))
    result["step_ms"]["keras-albert jax xla"] = timed(lambda: ours.run(xd, yd), args.steps, args.warmup, ours.sync)
    real = None if "real" in skip else real_batches(config, args.batch, args.seq, args.real_examples)
    if real:
        result["examples_per_s"]["keras-albert, length-bucketed"] = examples_per_s(
            ours, real[0], lambda a, b: jax.device_put((a, b)))
    for name, compiled in (("eager", False), ("compile", True)):
        if name in skip:
            continue
        hf = TorchTrainer(config, compile=compiled)
        label = f"HF transformers {'torch.compile' if compiled else 'eager'}"
        result["hf_attention"] = hf.attention
        tx = hf.tensors(x, y)
        hf.run = lambda *t: hf.step(*t)
        result["step_ms"][label] = timed(lambda: hf.step(*tx), args.steps, args.warmup, hf.sync)
        if real:
            result["examples_per_s"][f"{label}, padded to {args.seq}"] = examples_per_s(hf, real[1], hf.tensors)
    result["peak_memory_mb"] = peak_memory_mb()
    ms = result["step_ms"]
    result["mfu"] = {k: round(flops / (v / 1e3) / (args.peak_tflops * 1e12), 4) for k, v in ms.items()}
    if "HF transformers torch.compile" in ms:
        result["ratio_to_torch_compile"] = round(ms["keras-albert jax xla"] / ms["HF transformers torch.compile"], 3)
    for k, v in ms.items():
        print(f"{k}: {v:.2f} ms/step, MFU {result['mfu'][k]:.1%} (of {args.peak_tflops} TFLOP/s)")
    for k, v in result["examples_per_s"].items():
        print(f"{k}: {v:.1f} examples/s")
    print(json.dumps({k: result[k] for k in ("ratio_to_torch_compile", "peak_memory_mb", "device") if k in result}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
