"""Optimizers as BERT/ALBERT train: AdamW (or LAMB), linear warmup then linear decay to zero."""
import keras

NO_DECAY = ["bias", "gamma", "beta"]  # LayerNorm scales/offsets and biases take no weight decay
OPTIMIZERS = ("adamw", "lamb", "sgd")


@keras.saving.register_keras_serializable(package="keras_albert")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """0 -> peak over `warmup_steps`, then linearly down to 0 at `total_steps` (no warmup: the first step
    takes the peak rate, as transformers' linear schedule does)."""

    def __init__(self, peak, total_steps, warmup_steps):
        self.peak, self.total_steps, self.warmup_steps = float(peak), int(total_steps), int(warmup_steps)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warm = step / self.warmup_steps if self.warmup_steps else 1.0
        decay = (self.total_steps - step) / max(self.total_steps - self.warmup_steps, 1)
        return self.peak * keras.ops.clip(keras.ops.minimum(warm, decay), 0.0, 1.0)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps}


def make_optimizer(name, learning_rate, total_steps, warmup_ratio=0.1, weight_decay=0.01, clipnorm=1.0):
    schedule = WarmupLinearDecay(learning_rate, total_steps, int(round(warmup_ratio * total_steps)))
    if name == "adamw":
        opt = keras.optimizers.AdamW(schedule, weight_decay=weight_decay, epsilon=1e-6, clipnorm=clipnorm)
    elif name == "sgd":  # plain SGD with momentum on the same schedule: a baseline, and exact under tf.distribute
        return keras.optimizers.SGD(schedule, momentum=0.9, clipnorm=clipnorm)
    elif name == "lamb":
        opt = keras.optimizers.Lamb(schedule, weight_decay=weight_decay, epsilon=1e-6, clipnorm=clipnorm)
    else:
        raise ValueError(f"unknown optimizer {name!r}; use 'adamw', 'lamb' or 'sgd'")
    opt.exclude_from_weight_decay(var_names=NO_DECAY)
    return opt
