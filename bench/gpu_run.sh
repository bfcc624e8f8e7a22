#!/usr/bin/env bash
# The one command a GPU call runs (docs/gpu.md): installs the carried wheels where keras is missing, prints the
# machine and versions, runs bench/gpu_train.py (JSON + log under $OUT), then, if a checkpoint was carried
# (runs/gpu/pretrain, see bench/learning_pretrain.py --prepare-gpu), continues its pretraining until the budget.
#   bash bench/gpu_run.sh [--tiny] [gpu_train.py flags...]
# Env: OUT (default ./gpu_out), BUDGET_S (whole run, default 330: ends inside 6 minutes on an H200; 900 --tiny),
#      PRETRAIN_S (seconds of it kept for pretraining when a checkpoint is carried, default 120),
#      PYTHON (default python3).
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT=${OUT:-$PWD/gpu_out}
PYTHON=${PYTHON:-python3}
PRETRAIN=runs/gpu/pretrain
TINY=()
if [ "${1:-}" = "--tiny" ]; then TINY=(--tiny); shift; fi
BUDGET_S=${BUDGET_S:-$([ ${#TINY[@]} -gt 0 ] && echo 900 || echo 330)}  # a CPU compiles slowly
mkdir -p "$OUT"

main() {
  export KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=3 PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
  if ! "$PYTHON" -c "import importlib.util as u; exit(u.find_spec('keras') is None)"; then
    ls .whl/*.whl >/dev/null 2>&1 || { echo "no keras and no .whl/*.whl (bench/gpu_prepare.py; carry .whl)"; exit 2; }
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

  pretrain_s=0
  if [ -f "$PRETRAIN/ckpt/model.keras" ]; then pretrain_s=${PRETRAIN_S:-120}; fi
  "$PYTHON" bench/gpu_train.py "${TINY[@]}" --deadline $((start + BUDGET_S - pretrain_s)) \
    --json "$OUT/gpu_train.json" "$@"
  status=$?
  echo "gpu_train.py exit $status after $(( $(date +%s) - start )) s"

  if [ "$pretrain_s" -gt 0 ]; then
    "$PYTHON" bench/learning_pretrain.py --gpu "$PRETRAIN" --out "$OUT/pretrained" "${TINY[@]}" \
      --deadline $((start + BUDGET_S))
    echo "learning_pretrain.py exit $? after $(( $(date +%s) - start )) s"
  else
    echo "no checkpoint in $PRETRAIN/ckpt: continued pretraining skipped (optional; docs/gpu.md)"
  fi
  ls -la "$OUT" "$OUT/pretrained" 2>/dev/null
  return $status
}

main "$@" 2>&1 | tee "$OUT/gpu_run.log"
exit "${PIPESTATUS[0]}"
