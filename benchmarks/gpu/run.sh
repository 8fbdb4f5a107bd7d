#!/usr/bin/env bash
# The GPU checks of issue #4 in one call on the lent GPU machine (Python 3.12 with its own torch
# and transformers). Prepare here first with benchmarks/gpu/prepare.sh, then, through the device
# tool: run(command="bash benchmarks/gpu/run.sh", carry=[".device"], timeout_s=540).
# Each step runs even when an earlier one failed; all output goes to $OUT/log.txt, tables to
# $OUT/*.md. Steps:
#   1. training throughput: stock Trainer vs TransformerBackend.fit, batch 64, 20,000 sentences
#   2. eventclf train configs/transformer.yaml on the GPU (timed)
#   3. inference: stock pipeline vs eventclf bf16, end to end from raw text
#   4. accuracy of the GPU-trained model (corpus test, and the ../shared sets carried)
#   5. the CLI tags the seed article with --device cuda
#
# A rehearsal here on the CPU checks the plumbing in a few minutes (frozen encoder, small sizes):
#   PY=.venv/bin/python DEVICE=cpu QUICK=1 OUT=/tmp/gpu-rehearsal bash benchmarks/gpu/run.sh
set -uo pipefail
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-/tmp/eventclf-gpu}
mkdir -p "$OUT"
LOG="$OUT/log.txt"
SENTENCES=20000
EXTRA=()
INFER=()
if [ "${QUICK:-0}" = 1 ]; then
  SENTENCES=64
  EXTRA=(--set model.mode=frozen)
  INFER=(--rehearse --gpu-sentences 2000)
else
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .device/whl/*.whl || exit 1
fi
export PYTHONPATH="/tmp/site:$PWD/src" PYTHONUNBUFFERED=1 EVENTCLF_SHARED="$PWD/.device/shared"
export TOKENIZERS_PARALLELISM=true
BASE="$PWD/.device/minilm16"
MODEL="$OUT.model"

step() {
  local name=$1 start rc
  shift
  echo "== $name: $*" | tee -a "$LOG"
  start=$(date +%s)
  "$@" >>"$LOG" 2>&1
  rc=$?
  echo "== $name: exit $rc after $(($(date +%s) - start)) s" | tee -a "$LOG"
}

{ nvidia-smi -L; "$PY" -c "import torch, transformers, sys; print(sys.version.split()[0], \
torch.__version__, transformers.__version__, torch.cuda.is_available())"; } 2>&1 | tee -a "$LOG"
step throughput "$PY" benchmarks/training.py --base "$BASE" --device "$DEVICE" \
  --sentences "$SENTENCES" --batch-size 64 --results "$OUT/training-gpu.md"
step train "$PY" -m eventclf.cli train configs/transformer.yaml --overwrite -o "$MODEL" \
  --set model.base="$BASE" --set training.device="$DEVICE" --set training.run_dir="$OUT.run" \
  "${EXTRA[@]}"
step inference "$PY" benchmarks/transformer.py --model "$MODEL" --gpu-only \
  --results "$OUT/transformer-gpu.md" "${INFER[@]}"
step accuracy "$PY" benchmarks/accuracy.py --model "$MODEL" --results "$OUT/accuracy-gpu.md"
cp "$MODEL/metrics.json" "$OUT/metrics-gpu.json" 2>/dev/null
seed=.device/shared/seeds/russia-arms-central-asia.txt
[ -f "$seed" ] && step seed "$PY" -m eventclf.cli predict "$MODEL" "$seed" --device "$DEVICE" \
  --output "$OUT/seed-gpu.jsonl"
tail -n 5 "$OUT"/*.md
