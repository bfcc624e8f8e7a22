"""`Task`: everything the library knows about one use of the model, in one record.

Every layer reads the task from the table in `keras_albert.tasks` (the loader, the converters, the pipelines,
and later training and export): nothing else in the package branches on a task's name.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How to fine-tune a task on one kind of data: what `finetune(task=NAME)` and `keras-albert finetune --task
    NAME` read. The one training loop (training/finetune.py) takes everything that differs between tasks from here.

    reader(path, skip_bad_rows) -> records; features(tokenizer, records, labels, sequence_length) -> Features
    (keras_albert.features); loss(model) -> a Keras loss; head_args(labels) -> the head's size and arguments;
    metric_task: the key of keras_albert.metrics TASK_METRICS / MAIN_METRIC whose main score picks the best epoch;
    labels(records) -> class names (None: the outputs are not named classes);
    heldout: (file name, write(path, records)) of the held-out split in the reader's own format, what the int8
    gate reads back (None: `model_dir.HELDOUT`, JSON lines of the records, as read_conll reads tagged text).
    """
    name: str
    reader: callable
    features: callable
    loss: callable
    metric_task: str
    head_args: callable
    labels: callable = None
    heldout: tuple = None


@dataclasses.dataclass(frozen=True)
class Task:
    name: str                  # `from_pretrained(task=...)`, `--task`
    head: type                 # the Keras model class (None: the bare backbone)
    architecture: str          # transformers' class, config.json `architectures`
    groups: dict = dataclasses.field(default_factory=dict)  # the head's weight groups -> how errors name them
    head_weights: callable = None  # (config, size) -> [convert.table.Entry] of the head's weights
    pooler: bool = True        # whether the head reads the pooled [CLS] (transformers' state dict has a pooler)
    head_required: bool = False  # a checkpoint without the head is refused (fill-mask needs the trained MLM head)
    size_arg: str = None       # the head's open size (`num_classes`), read from the checkpoint's head kernel
    labelled: bool = False     # the head's outputs are named classes: id2label / labels.txt
    hf_fields: tuple = ()      # head arguments stored as config.json fields of the same name (`problem_type`)
    pipelines: tuple = ()      # `keras_albert.pipeline` names that run this task's model
    recipes: tuple = ()        # `Recipe`s: the kinds of data this head is fine-tuned on (`finetune --task`)

    def entries(self, config, size=None):
        """The head's weight-table rows (with the pooler's when the head uses it)."""
        return list(self.head_weights(config, size)) if self.head_weights else []

    def hf_groups(self):
        """Exactly the weight groups of transformers' state dict for this architecture."""
        return ("backbone",) + (("pooler",) if self.pooler else ()) + tuple(self.groups)

    def load_spec(self, trained_head=False):
        """required: must be in the checkpoint, complete. optional: all-or-nothing, absent -> random + warning.
        extra: loaded when present, silently left as initialized otherwise (the outputs never read it).
        `trained_head`: the head is required whatever the task (a model that only predicts needs it trained)."""
        head, required = tuple(self.groups), self.head_required or trained_head
        pooler = ("pooler",) if self.pooler else ()
        return {"required": ("backbone",) + (head if required else ()),
                "optional": pooler + (() if required else head),
                "extra": () if self.pooler else ("pooler",)}

    def build(self, backbone, size=None, **kwargs):
        if self.head is None:
            return backbone
        if self.size_arg:
            kwargs[self.size_arg] = size
        return self.head(backbone, **kwargs)

    def hf_args(self, raw):
        """Head arguments from an HF config.json dict."""
        return {f: raw[f] for f in self.hf_fields if raw.get(f) is not None}

    def size_of(self, model):
        return getattr(model, self.size_arg) if self.size_arg else None
