"""The one table from our weight paths to checkpoint names, and the one walk over it.

Every weight of every model is one `Entry`: where it lives in our model, its Hugging Face name, its
google-research TF1 name, and how its array is laid out. HF and TF1 differ only in a `Format` (names, which
arrays are stored transposed, which names to skip), so the same walk loads both and the same table writes HF.
"""
import dataclasses
import math

import numpy as np

# Canonical layout = a TF1 kernel: [in, out]. Kinds say how our (possibly per-head) array folds into it.
COPY, LINEAR, HEADS_OUT, HEADS_IN, HEADS_BIAS = "copy", "linear", "heads_out", "heads_in", "heads_bias"
LINEAR_KINDS = (LINEAR, HEADS_OUT, HEADS_IN)  # the ones a torch nn.Linear stores as [out, in]

# Weight groups, and which a task needs: `required` must be complete; `optional` are all-or-nothing.
TASKS = {
    None: {"required": ("backbone", "pooler"), "optional": ()},
    "masked_lm": {"required": ("backbone", "mlm"), "optional": ("pooler",)},
    "pretraining": {"required": ("backbone", "pooler", "mlm"), "optional": ("sop",)},
    "classification": {"required": ("backbone", "pooler"), "optional": ("classifier",)},
}
NEW_HEADS = ("sop", "classifier")  # heads a fine-tuning or continued-pretraining run may start without


@dataclasses.dataclass(frozen=True)
class Entry:
    ours: str              # attribute path from the group's root layer: "groups.0.1.query.kernel"
    hf: str                # HF name (backbone names without the "albert." prefix)
    tf1: str               # google-research name
    kind: str = COPY
    group: str = "backbone"
    tf1_out_in: bool = False  # TF1 `output_weights` are stored [out, in], like torch


def canonical_shape(kind, shape):
    """Our variable's shape -> its shape in the canonical [in, out] layout."""
    if kind == HEADS_OUT:   # [H, heads, head_size] <-> [H, H]
        return (shape[0], math.prod(shape[1:]))
    if kind == HEADS_IN:    # [heads, head_size, H] <-> [H, H]
        return (math.prod(shape[:-1]), shape[-1])
    if kind == HEADS_BIAS:  # [heads, head_size] <-> [H]
        return (math.prod(shape),)
    return tuple(shape)


def _dense(ours, hf, tf1, group="backbone", kind=LINEAR, bias_kind=COPY):
    return [Entry(f"{ours}.kernel", f"{hf}.weight", f"{tf1}/kernel", kind, group),
            Entry(f"{ours}.bias", f"{hf}.bias", f"{tf1}/bias", bias_kind, group)]


def _norm(ours, hf, tf1, group="backbone"):
    return [Entry(f"{ours}.gamma", f"{hf}.weight", f"{tf1}/gamma", COPY, group),
            Entry(f"{ours}.beta", f"{hf}.bias", f"{tf1}/beta", COPY, group)]


def _output(ours, hf, tf1, group):
    """The SOP and classifier heads: TF1 keeps `output_weights` [out, in] and `output_bias`."""
    return [Entry(f"{ours}.kernel", f"{hf}.weight", f"{tf1}output_weights", LINEAR, group, tf1_out_in=True),
            Entry(f"{ours}.bias", f"{hf}.bias", f"{tf1}output_bias", COPY, group)]


def _block(g, j):
    ours, hf = f"groups.{g}.{j}", f"encoder.albert_layer_groups.{g}.albert_layers.{j}"
    tf1 = f"bert/encoder/transformer/group_{g}/inner_group_{j}"
    entries = []
    for name in ("query", "key", "value"):
        entries += _dense(f"{ours}.{name}", f"{hf}.attention.{name}", f"{tf1}/attention_1/self/{name}",
                          kind=HEADS_OUT, bias_kind=HEADS_BIAS)
    return entries + [
        *_dense(f"{ours}.attention_output", f"{hf}.attention.dense", f"{tf1}/attention_1/output/dense",
                kind=HEADS_IN),
        *_norm(f"{ours}.attention_norm", f"{hf}.attention.LayerNorm", f"{tf1}/LayerNorm"),
        *_dense(f"{ours}.ffn", f"{hf}.ffn", f"{tf1}/ffn_1/intermediate/dense"),
        *_dense(f"{ours}.ffn_output", f"{hf}.ffn_output", f"{tf1}/ffn_1/intermediate/output/dense"),
        *_norm(f"{ours}.output_norm", f"{hf}.full_layer_layer_norm", f"{tf1}/LayerNorm_1"),
    ]


def entries(config):
    """Every weight of every model built from `config`, in one list."""
    emb = [Entry(f"embeddings.{ours}.embeddings", f"embeddings.{hf}.weight", f"bert/embeddings/{hf}")
           for ours, hf in (("word_embeddings", "word_embeddings"), ("position_embeddings", "position_embeddings"),
                            ("segment_embeddings", "token_type_embeddings"))]
    table = emb + _norm("embeddings.layer_norm", "embeddings.LayerNorm", "bert/embeddings/LayerNorm")
    table += _dense("embeddings.projection", "encoder.embedding_hidden_mapping_in",
                    "bert/encoder/embedding_hidden_mapping_in")
    for g in range(config.num_hidden_groups):
        for j in range(config.inner_group_num):
            table += _block(g, j)
    table += _dense("pooler", "pooler", "bert/pooler/dense", group="pooler")
    table += _dense("mlm_head.dense", "predictions.dense", "cls/predictions/transform/dense", group="mlm")
    table += _norm("mlm_head.layer_norm", "predictions.LayerNorm", "cls/predictions/transform/LayerNorm", "mlm")
    table.append(Entry("mlm_head.bias", "predictions.bias", "cls/predictions/output_bias", COPY, "mlm"))
    table += _output("sop_classifier", "sop_classifier.classifier", "cls/seq_relationship/", "sop")
    table += _output("classifier", "classifier", "", "classifier")
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


def match(model, tensors, fmt, task):
    """-> [(variable, array)] for every weight of `model`, checked against `tensors` (name -> array).

    Raises one ValueError listing every missing, unexpected or mis-shaped tensor; assigns nothing.
    """
    table = entries(model.config)
    known = {fmt.name(e) for e in table}
    problems = [f"unexpected tensor {n!r} with shape {tuple(np.shape(tensors[n]))} (no such weight in a model "
                f"with num_hidden_groups={model.config.num_hidden_groups}, "
                f"inner_group_num={model.config.inner_group_num})"
                for n in sorted(tensors) if n not in known and not fmt.ignored(n)]
    spec, groups = TASKS[task], model_groups(model)
    pairs = []
    for group in (g for g in ("backbone", "pooler", "mlm", "sop", "classifier") if g in groups):
        members = [e for e in table if e.group == group]
        found = [e for e in members if fmt.name(e) in tensors]
        if group not in spec["required"] and not found:
            continue  # an absent optional group keeps its initial weights
        for e in members:
            var, name = variable(model, e.ours), fmt.name(e)
            expected = canonical_shape(e.kind, tuple(var.shape))
            if name not in tensors:
                problems.append(f"missing tensor {name!r} (model expects shape {fmt.stored_shape(e, expected)})")
                continue
            array = np.asarray(tensors[name])
            value = fmt.to_canonical(e, array)
            if tuple(value.shape) != expected:
                problems.append(f"tensor {name!r} has shape {tuple(array.shape)} in the checkpoint but the model "
                                f"expects {fmt.stored_shape(e, expected)}")
                continue
            pairs.append((var, value.reshape(tuple(var.shape))))
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ValueError(f"{fmt.label} checkpoint does not match the model config: " + "; ".join(shown))
    return pairs


def assign(pairs):
    for var, value in pairs:
        var.assign(value.astype(var.dtype))


def export(model):
    """-> [(Entry, canonical array)] for every weight `model` has (the inverse of `match`)."""
    groups = model_groups(model)
    out = []
    for e in entries(model.config):
        if e.group in groups:
            value = np.asarray(variable(model, e.ours).numpy())
            out.append((e, value.reshape(canonical_shape(e.kind, value.shape))))
    return out


def present_groups(tensors, fmt, config):
    """Which weight groups a checkpoint holds (to pick a task automatically)."""
    return {e.group for e in entries(config) if fmt.name(e) in tensors}


def checkpoint_classes(tensors, fmt, config):
    """Number of classes of the checkpoint's classifier head, or None."""
    kernel = next(e for e in entries(config) if e.group == "classifier" and e.kind == LINEAR)
    name = fmt.name(kernel)
    return None if name not in tensors else int(fmt.to_canonical(kernel, np.asarray(tensors[name])).shape[-1])
