"""AlbertConfig: the one source of truth for every hyperparameter, with HF field names."""
import dataclasses
import json

ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu")


@dataclasses.dataclass
class AlbertConfig:
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    vocab_size: int = 30000
    embedding_size: int = 128
    num_hidden_groups: int = 1
    inner_group_num: int = 1
    hidden_act: str = "gelu_new"
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02
    classifier_dropout_prob: float = 0.1

    def __post_init__(self):
        for name in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                     "vocab_size", "embedding_size", "num_hidden_groups", "inner_group_num",
                     "max_position_embeddings", "type_vocab_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"AlbertConfig.{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) is not divisible by "
                             f"num_attention_heads ({self.num_attention_heads})")
        if self.num_hidden_layers % self.num_hidden_groups:
            raise ValueError(f"num_hidden_layers ({self.num_hidden_layers}) is not divisible by "
                             f"num_hidden_groups ({self.num_hidden_groups})")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act {self.hidden_act!r} is not one of {ACTIVATIONS}")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"AlbertConfig.{name} must be in [0, 1), got {getattr(self, name)!r}")

    @property
    def head_size(self):
        return self.hidden_size // self.num_attention_heads

    def group_of_layer(self, i):
        """The group that layer i uses: the rule of the original ALBERT."""
        return int(i / (self.num_hidden_layers / self.num_hidden_groups))

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d, ignore_unknown=False):
        """Build from a dict; unknown fields are an error unless `ignore_unknown` (HF configs carry extras)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown and not ignore_unknown:
            raise ValueError(f"unknown AlbertConfig field(s): {', '.join(unknown)}")
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_json(self, path=None):
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        if path is not None:
            with open(path, "w") as f:
                f.write(text + "\n")
        return text

    @classmethod
    def from_json(cls, path_or_text, ignore_unknown=False):
        text = path_or_text
        if not path_or_text.lstrip().startswith("{"):
            with open(path_or_text) as f:
                text = f.read()
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"config is not valid JSON: {e}") from None
        if not isinstance(d, dict):
            raise ValueError("config JSON must be an object")
        return cls.from_dict(d, ignore_unknown=ignore_unknown)


def read_config_json(path):
    """A checkpoint's config file (HF config.json, Google's albert_config.json) -> its JSON object, or one
    ValueError naming the file and what is wrong with it."""
    with open(path, encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path} holds a JSON {type(raw).__name__}, not an object of config fields")
    return raw


def _preset(hidden, layers, heads, ffn, v2):
    dropout = 0.0 if v2 else 0.1
    return AlbertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=ffn, hidden_act="gelu_new" if v2 else "gelu",
                        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)


_SHAPES = {"base": (768, 12, 12, 3072), "large": (1024, 24, 16, 4096),
           "xlarge": (2048, 24, 16, 8192), "xxlarge": (4096, 12, 64, 16384)}

# The published shapes of the HF / google-research checkpoints (v1 uses exact GELU and dropout 0.1).
PRESETS = {f"albert-{size}-v{v}": _preset(*shape, v2=(v == 2))
           for size, shape in _SHAPES.items() for v in (1, 2)}


def get_preset(name):
    key = name.split("/")[-1]
    if key not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return dataclasses.replace(PRESETS[key])


@dataclasses.dataclass(frozen=True)
class PretrainRecipe:
    """How a pretraining run trains (the model's shape is a preset's or the command's flags); `keras-albert
    pretrain --recipe NAME` starts from these values and each flag given on the command line replaces one."""
    steps: int
    batch_size: int
    learning_rate: float
    warmup_ratio: float     # of `steps`: linear warmup, then linear decay to 0
    optimizer: str
    sequence_length: int
    max_predictions: int    # masked positions per sequence
    ngram: int              # n-gram masking, n up to this

    def describe(self):
        return (f"{self.optimizer.upper()}, batch {self.batch_size:,}, {self.steps:,} steps, learning rate "
                f"{self.learning_rate:g} with {round(self.warmup_ratio * self.steps):,} warmup steps, sequence "
                f"{self.sequence_length}, {self.max_predictions} predictions, n-gram masking up to {self.ngram}")


PRETRAIN_RECIPES = {
    # a small run that shows the loop working on one machine
    "default": PretrainRecipe(steps=1000, batch_size=64, learning_rate=1e-3, warmup_ratio=0.05, optimizer="lamb",
                              sequence_length=128, max_predictions=20, ngram=1),
    # the ALBERT paper (Lan et al. 2020, section 4.1) and google-research/albert run_pretraining.py: LAMB at
    # 0.00176, batch 4096, 125k steps, 3,125 warmup steps, sequences of 512 with 20 predictions, 3-gram masking
    "paper": PretrainRecipe(steps=125_000, batch_size=4096, learning_rate=0.00176, warmup_ratio=3125 / 125_000,
                            optimizer="lamb", sequence_length=512, max_predictions=20, ngram=3),
}


def pretrain_recipe(name, **given):
    """The recipe `name` with every value in `given` that is not None in its place (flags beat the recipe)."""
    if name not in PRETRAIN_RECIPES:
        raise ValueError(f"unknown recipe {name!r} (--recipe); known: {', '.join(PRETRAIN_RECIPES)}")
    return dataclasses.replace(PRETRAIN_RECIPES[name], **{k: v for k, v in given.items() if v is not None})
