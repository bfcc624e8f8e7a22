#!/usr/bin/env bash
# The one command a GPU call runs (docs/gpu.md): installs the carried wheels where keras is missing, prints the
# machine and versions, runs bench/gpu_train.py (JSON + log under $OUT), then, if a checkpoint was carried
# (runs/gpu/pretrain, see bench/learning_pretrain.py --prepare-gpu), continues its pretraining until the budget.
#   bash bench/gpu_run.sh [--tiny] [gpu_train.py flags...]
# Env: OUT (default runs/gpu_out), BUDGET_S (the measurements' seconds, default 330: the run ends inside 6
#      minutes on an H200), PRETRAIN_S (seconds added after them when a checkpoint is carried, default 120),
#      PRETRAIN_MAX_STEPS (the pretraining's step cap, default 30000), PYTHON (default python3). --tiny (a CPU smoke run) allows 900 and 300: a CPU compiles slowly.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT=${OUT:-$PWD/runs/gpu_out}
PYTHON=${PYTHON:-python3}
PRETRAIN=runs/gpu/pretrain
TINY=()
if [ "${1:-}" = "--tiny" ]; then TINY=(--tiny); shift; fi
if [ ${#TINY[@]} -gt 0 ]; then BUDGET_S=${BUDGET_S:-900} PRETRAIN_S=${PRETRAIN_S:-300}; fi
BUDGET_S=${BUDGET_S:-330} PRETRAIN_S=${PRETRAIN_S:-120}
mkdir -p "$OUT"

main() {
  export KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=3 PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
  if ! "$PYTHON" -c "import importlib.util as u; exit(u.find_spec('keras') is None)"; then
    ls .whl/*.whl >/dev/null 2>&1 || { echo "no keras, no .whl/*.whl (bench/gpu_prepare.py makes them)"; exit 2; }
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
      .whl/*.whl || { echo "installing .whl/*.whl failed"; exit 2; }
    export PYTHONPATH=/tmp/site
  fi
  export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    nvidia-smi
  else
    export JAX_PLATFORMS=cpu  # no GPU: a CPU smoke run
  fi
  "$PYTHON" - <<'EOF'
import importlib.metadata as md, importlib.util, platform
names = ("jax", "jaxlib", "keras", "torch", "transformers", "numpy")
print("python", platform.python_version(), {n: md.version(n) for n in names if importlib.util.find_spec(n)})
try:
    import tensorflow  # noqa: F401  (the library must not need it on JAX: say whether it is there)
    print("tensorflow is importable here")
except ImportError:
    print("tensorflow is not importable here")
EOF

  "$PYTHON" bench/gpu_train.py "${TINY[@]}" --deadline $((start + BUDGET_S)) --json "$OUT/gpu_train.json" "$@"
  status=$?
  echo "gpu_train.py exit $status after $(( $(date +%s) - start )) s"

  if [ -f "$PRETRAIN/ckpt/model.keras" ]; then
    "$PYTHON" bench/learning_pretrain.py --gpu "$PRETRAIN" --out "$OUT/pretrained" "${TINY[@]}" \
      --max-steps "${PRETRAIN_MAX_STEPS:-30000}" --deadline $(( $(date +%s) + PRETRAIN_S ))
    echo "learning_pretrain.py exit $? after $(( $(date +%s) - start )) s"
  else
    echo "no checkpoint in $PRETRAIN/ckpt: continued pretraining skipped (optional; docs/gpu.md)"
  fi
  ls -la "$OUT" "$OUT/pretrained" 2>/dev/null
  return $status
}

main "$@" 2>&1 | tee "$OUT/gpu_run.log"
exit "${PIPESTATUS[0]}"
