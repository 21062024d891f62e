#!/usr/bin/env bash
# The GPU check of issue 13 as one script for a fresh clone on a CUDA machine: install, provision, train the
# default recipe (full fine-tuning, bf16 autocast) on the GPU, code 100,000 segments, compare the shipped model
# on the GPU with the CPU, and write gpu-check.json (scripts/gpu_check.py says what each figure is).
#
#   bash scripts/gpu_check.sh                                    # CUDA machine: about 10 minutes on an H100/H200
#   bash scripts/gpu_check.sh --device cpu --segments 2000 --epochs 1 --train-limit 300 --agreement-limit 300   # same path, on a CPU
#
# Options (or GPU_CHECK_DEVICE / _SEGMENTS / _EPOCHS / _TRAIN_LIMIT / _OUT / _WORK) go to scripts/gpu_check.py.
# GPU_CHECK_SKIP_INSTALL=1 uses .venv as it is (a machine without network access).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE=${GPU_CHECK_DEVICE:-cuda}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --device) DEVICE=${args[$((i + 1))]:-cuda} ;;
    --device=*) DEVICE=${args[$i]#--device=} ;;
  esac
done

if [ "${GPU_CHECK_SKIP_INSTALL:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
PY=.venv/bin/python
[ -x "$PY" ] || { echo "ERROR: no .venv; run without GPU_CHECK_SKIP_INSTALL=1" >&2; exit 2; }

cuda_ok() { "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; }

if [ "$DEVICE" != cpu ] && ! cuda_ok; then
  build=$("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')
  echo "torch $build cannot use a GPU here." >&2
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "ERROR: no NVIDIA driver (nvidia-smi) on this machine: there is no GPU to check. Run with --device cpu." >&2
    exit 3
  fi
  if [ "${GPU_CHECK_SKIP_INSTALL:-0}" != 1 ]; then
    # setup.sh pins torch==2.13.0; where the index gives the CPU build, take PyPI's Linux wheel (the CUDA build)
    # with its nvidia-* libraries, ignoring local pip configuration (CPU-only indexes, wheel folders).
    echo "Installing the CUDA build of torch==2.13.0 from PyPI ..." >&2
    "$PY" -m pip uninstall --quiet --yes torch || true
    if ! PIP_CONFIG_FILE=/dev/null "$PY" -m pip install --quiet --index-url https://pypi.org/simple "torch==2.13.0"; then
      echo "ERROR: PyPI has no CUDA build of torch==2.13.0 for this platform (or PyPI is unreachable)." >&2
      echo "       Install one by hand (pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128)," >&2
      echo "       then rerun with GPU_CHECK_SKIP_INSTALL=1." >&2
      "$PY" -m pip install --quiet "torch==2.13.0" || true  # leave a working CPU install behind
      exit 3
    fi
  fi
  if ! cuda_ok; then
    build=$("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')
    echo "ERROR: torch $build still cannot use the GPU (driver too old for its CUDA, or no CUDA build)." >&2
    nvidia-smi >&2 || true
    exit 3
  fi
fi

"$PY" -m lccode provision
"$PY" scripts/gpu_check.py "$@"
