"""The one table from our weight paths to checkpoint names, and the one walk over it.

Every weight of every model is one `Entry`: where it lives in our model, its Hugging Face name, its
google-research TF1 name, its shape, and how its array is laid out. HF and TF1 differ only in a `Format` (names,
which arrays are stored transposed, which names to skip), so the same walk loads both and the same table writes
HF. The shapes come from the config alone, so a checkpoint is checked against a config BEFORE any model is built
(a config claiming a billion-word vocabulary must not allocate one).
"""
import dataclasses

import numpy as np

# Canonical layout = a TF1 kernel: [in, out]. Kinds say how our (possibly per-head) array folds into it.
COPY, LINEAR, HEADS_OUT, HEADS_IN, HEADS_BIAS = "copy", "linear", "heads_out", "heads_in", "heads_bias"
LINEAR_KINDS = (LINEAR, HEADS_OUT, HEADS_IN)  # the ones a torch nn.Linear stores as [out, in]

# The encoder's own weight groups; each task (keras_albert.tasks) adds its head's groups and rows.
BASE_GROUPS = {"backbone": "encoder", "pooler": "pooler"}


@dataclasses.dataclass(frozen=True)
class Entry:
    ours: str              # attribute path from the group's root layer: "groups.0.1.query.kernel"
    hf: str                # HF name (backbone names without the "albert." prefix)
    tf1: str               # google-research name
    shape: tuple           # canonical shape ([in, out] for kernels); None for a dimension the config leaves open
    kind: str = COPY
    group: str = "backbone"
    tf1_out_in: bool = False  # TF1 `output_weights` are stored [out, in], like torch


def dense_entries(ours, hf, tf1, shape, group="backbone", kind=LINEAR, bias_kind=COPY):
    return [Entry(f"{ours}.kernel", f"{hf}.weight", f"{tf1}/kernel", shape, kind, group),
            Entry(f"{ours}.bias", f"{hf}.bias", f"{tf1}/bias", shape[-1:], bias_kind, group)]


def norm_entries(ours, hf, tf1, size, group="backbone"):
    return [Entry(f"{ours}.gamma", f"{hf}.weight", f"{tf1}/gamma", (size,), COPY, group),
            Entry(f"{ours}.beta", f"{hf}.bias", f"{tf1}/beta", (size,), COPY, group)]


def output_entries(ours, hf, tf1, shape, group):
    """The SOP and classifier heads: TF1 keeps `output_weights` [out, in] and `output_bias`."""
    return [Entry(f"{ours}.kernel", f"{hf}.weight", f"{tf1}output_weights", shape, LINEAR, group, tf1_out_in=True),
            Entry(f"{ours}.bias", f"{hf}.bias", f"{tf1}output_bias", shape[-1:], COPY, group)]


def _block(c, g, j):
    ours, hf = f"groups.{g}.{j}", f"encoder.albert_layer_groups.{g}.albert_layers.{j}"
    tf1 = f"bert/encoder/transformer/group_{g}/inner_group_{j}"
    H, I = c.hidden_size, c.intermediate_size
    entries = []
    for name in ("query", "key", "value"):
        entries += dense_entries(f"{ours}.{name}", f"{hf}.attention.{name}", f"{tf1}/attention_1/self/{name}", (H, H),
                          kind=HEADS_OUT, bias_kind=HEADS_BIAS)
    return entries + [
        *dense_entries(f"{ours}.attention_output", f"{hf}.attention.dense", f"{tf1}/attention_1/output/dense", (H, H),
                kind=HEADS_IN),
        *norm_entries(f"{ours}.attention_norm", f"{hf}.attention.LayerNorm", f"{tf1}/LayerNorm", H),
        *dense_entries(f"{ours}.ffn", f"{hf}.ffn", f"{tf1}/ffn_1/intermediate/dense", (H, I)),
        *dense_entries(f"{ours}.ffn_output", f"{hf}.ffn_output", f"{tf1}/ffn_1/intermediate/output/dense", (I, H)),
        *norm_entries(f"{ours}.output_norm", f"{hf}.full_layer_layer_norm", f"{tf1}/LayerNorm_1", H),
    ]


def entries(config, head=()):
    """Every weight of the encoder (embeddings, shared blocks, pooler) built from `config`, then `head`'s rows."""
    c = config
    V, E, H = c.vocab_size, c.embedding_size, c.hidden_size
    emb = [Entry(f"embeddings.{ours}.embeddings", f"embeddings.{hf}.weight", f"bert/embeddings/{hf}", (rows, E))
           for ours, hf, rows in (("word_embeddings", "word_embeddings", V),
                                  ("position_embeddings", "position_embeddings", c.max_position_embeddings),
                                  ("segment_embeddings", "token_type_embeddings", c.type_vocab_size))]
    table = emb + norm_entries("embeddings.layer_norm", "embeddings.LayerNorm", "bert/embeddings/LayerNorm", E)
    table += dense_entries("embeddings.projection", "encoder.embedding_hidden_mapping_in",
                           "bert/encoder/embedding_hidden_mapping_in", (E, H))
    for g in range(c.num_hidden_groups):
        for j in range(c.inner_group_num):
            table += _block(c, g, j)
    table += dense_entries("pooler", "pooler", "bert/pooler/dense", (H, H), group="pooler")
    return table + list(head)


def variable(model, path):
    """Resolve "groups.0.1.query.kernel" (backbone) or "mlm_head.bias" (a head layer of `model`) to the variable."""
    first, *rest = path.split(".")
    backbone = getattr(model, "backbone", model)
    heads = {layer.name: layer for layer in model.layers if layer is not backbone}
    node, rest = (heads[first], rest) if first in heads else (backbone, [first, *rest])
    for part in rest:
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node


@dataclasses.dataclass(frozen=True)
class Format:
    """How one checkpoint family names and lays out the table's arrays."""
    label: str
    name: callable          # Entry -> checkpoint name
    transposed: callable    # Entry -> whether the stored array is [out, in]
    ignored: callable       # checkpoint name -> skip it silently (optimizer slots, buffers, tied copies)

    def to_canonical(self, entry, array):
        return array.T if self.transposed(entry) else array

    def stored_shape(self, entry, canonical):
        return tuple(reversed(canonical)) if self.transposed(entry) else tuple(canonical)


def check(tensors, fmt, config, spec, table, known=()):
    """-> [(Entry, canonical array)] for every weight of `table` whose group `spec` loads, as the checkpoint
    holds it. Needs only the config (no model is built): raises one ValueError listing every missing,
    unexpected or mis-shaped tensor. `spec`: a Task's `load_spec()`; `table`: `entries(config, head rows)`;
    `known`: more names that are no error when present (other heads' weights, e.g. a pretraining checkpoint's
    masked-LM head when only the encoder is loaded)."""
    known = {fmt.name(e) for e in table} | set(known)
    loaded = spec["required"] + spec["optional"] + spec["extra"]
    group_names = [g for g in dict.fromkeys(e.group for e in table) if g in loaded]
    problems = [f"unexpected tensor {n!r} with shape {tuple(np.shape(tensors[n]))} (no such weight in a model "
                f"with num_hidden_groups={config.num_hidden_groups}, inner_group_num={config.inner_group_num})"
                for n in sorted(tensors) if n not in known and not fmt.ignored(n)]
    found = []
    for group in group_names:
        members = [e for e in table if e.group == group]
        if group not in spec["required"] and not any(fmt.name(e) in tensors for e in members):
            continue  # an absent optional group keeps its initial weights
        for e in members:
            name = fmt.name(e)
            if name not in tensors:
                problems.append(f"missing tensor {name!r} (model expects shape {fmt.stored_shape(e, e.shape)})")
                continue
            array = np.asarray(tensors[name])
            value = fmt.to_canonical(e, array)
            if tuple(value.shape) != e.shape:
                problems.append(f"tensor {name!r} has shape {tuple(array.shape)} in the checkpoint but the model "
                                f"expects {fmt.stored_shape(e, e.shape)}")
                continue
            found.append((e, value))
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ValueError(f"{fmt.label} checkpoint does not match the model config: " + "; ".join(shown))
    return found


def assign(model, found):
    """Write `check`'s arrays into the model's variables."""
    for e, value in found:
        var = variable(model, e.ours)
        var.assign(np.reshape(value, tuple(var.shape)).astype(var.dtype))


def export(model, table, groups):
    """-> [(Entry, canonical array)] for every row of `table` in `groups`; the inverse of `check` + `assign`."""
    return [(e, np.asarray(variable(model, e.ours).numpy()).reshape(e.shape)) for e in table if e.group in groups]


def present_groups(tensors, fmt, table):
    """Which weight groups of `table` a checkpoint holds (to pick a task from a TF1 checkpoint's names)."""
    return {e.group for e in table if fmt.name(e) in tensors}


def open_size(tensors, fmt, head):
    """The head's size the config leaves open (a classifier's classes), as the checkpoint's kernel has it."""
    for e in head:
        if None in e.shape and fmt.name(e) in tensors:
            return int(fmt.to_canonical(e, np.asarray(tensors[fmt.name(e)])).shape[e.shape.index(None)])
    return None
