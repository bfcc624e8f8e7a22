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

# Weight groups per task model. `required` must be in the checkpoint, complete. `optional` groups are
# all-or-nothing: an absent one starts from random weights with a warning (as transformers does). `extra`
# groups are loaded when present and otherwise left as initialized, silently: the task's outputs never use them.
TASKS = {
    None: {"required": ("backbone",), "optional": ("pooler",), "extra": ()},
    "masked_lm": {"required": ("backbone", "mlm"), "optional": (), "extra": ("pooler",)},
    "pretraining": {"required": ("backbone",), "optional": ("pooler", "mlm", "sop"), "extra": ()},
    "classification": {"required": ("backbone",), "optional": ("pooler", "classifier"), "extra": ()},
}
GROUP_NAMES = {"backbone": "encoder", "pooler": "pooler", "mlm": "masked-LM head", "sop": "sentence-order head",
               "classifier": "classifier head"}


def task_groups(task):
    """Every weight group the task's model has, in table order."""
    spec = TASKS[task]
    return tuple(g for g in GROUP_NAMES if g in spec["required"] + spec["optional"] + spec["extra"])


@dataclasses.dataclass(frozen=True)
class Entry:
    ours: str              # attribute path from the group's root layer: "groups.0.1.query.kernel"
    hf: str                # HF name (backbone names without the "albert." prefix)
    tf1: str               # google-research name
    shape: tuple           # canonical shape ([in, out] for kernels); None for a dimension the config leaves open
    kind: str = COPY
    group: str = "backbone"
    tf1_out_in: bool = False  # TF1 `output_weights` are stored [out, in], like torch


def _dense(ours, hf, tf1, shape, group="backbone", kind=LINEAR, bias_kind=COPY):
    return [Entry(f"{ours}.kernel", f"{hf}.weight", f"{tf1}/kernel", shape, kind, group),
            Entry(f"{ours}.bias", f"{hf}.bias", f"{tf1}/bias", shape[-1:], bias_kind, group)]


def _norm(ours, hf, tf1, size, group="backbone"):
    return [Entry(f"{ours}.gamma", f"{hf}.weight", f"{tf1}/gamma", (size,), COPY, group),
            Entry(f"{ours}.beta", f"{hf}.bias", f"{tf1}/beta", (size,), COPY, group)]


def _output(ours, hf, tf1, shape, group):
    """The SOP and classifier heads: TF1 keeps `output_weights` [out, in] and `output_bias`."""
    return [Entry(f"{ours}.kernel", f"{hf}.weight", f"{tf1}output_weights", shape, LINEAR, group, tf1_out_in=True),
            Entry(f"{ours}.bias", f"{hf}.bias", f"{tf1}output_bias", shape[-1:], COPY, group)]


def _block(c, g, j):
    ours, hf = f"groups.{g}.{j}", f"encoder.albert_layer_groups.{g}.albert_layers.{j}"
    tf1 = f"bert/encoder/transformer/group_{g}/inner_group_{j}"
    H, I = c.hidden_size, c.intermediate_size
    entries = []
    for name in ("query", "key", "value"):
        entries += _dense(f"{ours}.{name}", f"{hf}.attention.{name}", f"{tf1}/attention_1/self/{name}", (H, H),
                          kind=HEADS_OUT, bias_kind=HEADS_BIAS)
    return entries + [
        *_dense(f"{ours}.attention_output", f"{hf}.attention.dense", f"{tf1}/attention_1/output/dense", (H, H),
                kind=HEADS_IN),
        *_norm(f"{ours}.attention_norm", f"{hf}.attention.LayerNorm", f"{tf1}/LayerNorm", H),
        *_dense(f"{ours}.ffn", f"{hf}.ffn", f"{tf1}/ffn_1/intermediate/dense", (H, I)),
        *_dense(f"{ours}.ffn_output", f"{hf}.ffn_output", f"{tf1}/ffn_1/intermediate/output/dense", (I, H)),
        *_norm(f"{ours}.output_norm", f"{hf}.full_layer_layer_norm", f"{tf1}/LayerNorm_1", H),
    ]


def entries(config, num_classes=None):
    """Every weight of every model built from `config` (a classifier with `num_classes`), in one list."""
    c = config
    V, E, H = c.vocab_size, c.embedding_size, c.hidden_size
    emb = [Entry(f"embeddings.{ours}.embeddings", f"embeddings.{hf}.weight", f"bert/embeddings/{hf}", (rows, E))
           for ours, hf, rows in (("word_embeddings", "word_embeddings", V),
                                  ("position_embeddings", "position_embeddings", c.max_position_embeddings),
                                  ("segment_embeddings", "token_type_embeddings", c.type_vocab_size))]
    table = emb + _norm("embeddings.layer_norm", "embeddings.LayerNorm", "bert/embeddings/LayerNorm", E)
    table += _dense("embeddings.projection", "encoder.embedding_hidden_mapping_in",
                    "bert/encoder/embedding_hidden_mapping_in", (E, H))
    for g in range(c.num_hidden_groups):
        for j in range(c.inner_group_num):
            table += _block(c, g, j)
    table += _dense("pooler", "pooler", "bert/pooler/dense", (H, H), group="pooler")
    table += _dense("mlm_head.dense", "predictions.dense", "cls/predictions/transform/dense", (H, E), group="mlm")
    table += _norm("mlm_head.layer_norm", "predictions.LayerNorm", "cls/predictions/transform/LayerNorm", E, "mlm")
    table.append(Entry("mlm_head.bias", "predictions.bias", "cls/predictions/output_bias", (V,), COPY, "mlm"))
    table += _output("sop_classifier", "sop_classifier.classifier", "cls/seq_relationship/", (H, 2), "sop")
    table += _output("classifier", "classifier", "", (H, num_classes), "classifier")
    return table


def model_groups(model):
    """The weight groups a model has (a backbone has no heads)."""
    names = {layer.name for layer in model.layers}
    heads = {"mlm_head": "mlm", "sop_classifier": "sop", "classifier": "classifier"}
    return {"backbone", "pooler", *(group for layer, group in heads.items() if layer in names)}


def variable(model, path):
    """Resolve "groups.0.1.query.kernel" (backbone) or "mlm_head.bias" (a head layer) to the Keras variable."""
    first, *rest = path.split(".")
    layer_names = {layer.name for layer in model.layers}
    if first in ("mlm_head", "sop_classifier", "classifier") and first in layer_names:
        node = model.get_layer(first)
    else:
        node, rest = getattr(model, "backbone", model), [first, *rest]
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


def check(tensors, fmt, config, task, num_classes=None):
    """-> [(Entry, canonical array)] for every weight of `task`'s model that the checkpoint holds.

    Needs only the config (no model is built): raises one ValueError listing every missing, unexpected or
    mis-shaped tensor.
    """
    table = entries(config, num_classes)
    known = {fmt.name(e) for e in table}
    problems = [f"unexpected tensor {n!r} with shape {tuple(np.shape(tensors[n]))} (no such weight in a model "
                f"with num_hidden_groups={config.num_hidden_groups}, inner_group_num={config.inner_group_num})"
                for n in sorted(tensors) if n not in known and not fmt.ignored(n)]
    spec, found = TASKS[task], []
    for group in task_groups(task):
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


def export(model, groups=None):
    """-> [(Entry, canonical array)] for every weight of `groups` (default: all `model` has); inverse of `match`."""
    groups = model_groups(model) if groups is None else groups
    return [(e, np.asarray(variable(model, e.ours).numpy()).reshape(e.shape))
            for e in entries(model.config, getattr(model, "num_classes", None)) if e.group in groups]


def present_groups(tensors, fmt, config):
    """Which weight groups a checkpoint holds (to pick a task automatically)."""
    return {e.group for e in entries(config) if fmt.name(e) in tensors}


def checkpoint_classes(tensors, fmt, config):
    """Number of classes of the checkpoint's classifier head, or None."""
    kernel = next(e for e in entries(config) if e.group == "classifier" and e.kind == LINEAR)
    name = fmt.name(kernel)
    return None if name not in tensors else int(fmt.to_canonical(kernel, np.asarray(tensors[name])).shape[-1])
