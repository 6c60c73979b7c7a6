#!/usr/bin/env bash
# A short GPU run for whoever is lent a GPU: train, calibrate, export and time it.
#
#   bash benchmarks/gpu_check.sh [DATA_ROOT] [EPOCHS]
#   DEVICE=cpu LIMIT=8 bash benchmarks/gpu_check.sh ../shared/datasets 2   # a dry run on a CPU
#
# DATA_ROOT holds museum-ivory/ and everyday/ (default ../shared/datasets; on a machine
# where only a compact copy travels, point it there). It trains lite0 on the GPU (device
# cuda, bf16 autocast, channels-last, 8 loader workers), once plainly and once under
# `torchrun --nproc_per_node 1`, then exports fp32 + in-graph (verified against PyTorch) and
# prints the seconds each step took, the GPU and the epochs' lines from metrics.csv. Nothing
# is asserted: it is a check to read, and its output belongs in the session's note.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/datasets}
epochs=${2:-4}
device=${DEVICE:-cuda}
limit=${LIMIT:-null}  # photos per class of each source (null: all)
out=${OUT:-runs/gpu-check}
mkdir -p "$out"
python - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("gpu", torch.cuda.get_device_name(0), "bf16", torch.cuda.is_bf16_supported())
PY

settings=(
  "data=[{source: $data/museum-ivory, group_column: met_object_id, limit_per_class: $limit},
         {source: $data/everyday, limit_per_class: $limit}]"
  "epochs=$epochs" "head_epochs=1" "batch_size=64" "num_workers=8" "device=$device" "amp=auto"
  "output_dir=$out" "pretrained=wheel"
)
timed() {  # timed NAME COMMAND...: run it, print its wall seconds
  local name=$1 start
  shift
  start=$SECONDS
  "$@"
  echo "$name: $((SECONDS - start)) s" | tee -a "$out/timings.txt"
}
: > "$out/timings.txt"
timed "train (plain)" wildvision train "${settings[@]}" name=plain
timed "train (torchrun, 1 process)" torchrun --standalone --nproc_per_node 1 -m wildvision \
  train "${settings[@]}" name=torchrun
timed "calibrate" wildvision calibrate "$out/plain"  # auto: the GPU when there is one
timed "export fp32 + in-graph" wildvision export "$out/plain" --formats fp32 ingraph
echo "--- metrics.csv (plain run)"
cat "$out/plain/metrics.csv"
echo "--- timings"
cat "$out/timings.txt"
