#!/usr/bin/env bash
# Run every chapter in lax mode (their asserts, not their stored outputs) and the unit tests under
# another PyTorch, in a cached venv of its own: the target behind `make test-other-torch`.
#
# Usage: scripts/test_other_torch.sh TORCH TORCHVISION   e.g. 2.15.0 0.29.2
#
# The venv .venv-torch-TORCH holds requirements.txt without torch, torchvision and their CUDA and
# triton pins, plus torch==TORCH and torchvision==TORCHVISION (pair torch 2.X with torchvision
# 0.(X+15)), plus cecode itself (editable, so it always tests the working tree). It is rebuilt only
# when requirements.txt or the pair changes (a stamp file holds their hash). A machine-wide pip
# constraint that caps torch is lifted for these installs only (PIP_CONSTRAINT=/dev/null).
set -euo pipefail

torch_version=${1:?usage: $0 TORCH TORCHVISION}
vision_version=${2:?usage: $0 TORCH TORCHVISION}
python=${PYTHON:-python3}
cd "$(dirname "$0")/.."
venv=.venv-torch-$torch_version
stamp=$venv/.installed

# Everything pinned in requirements.txt except what comes with the other torch.
exclude='^(torch|torchvision|triton|nvidia-[a-z0-9-]+|cuda-[a-z-]+)=='
requirements=$(grep -vE "$exclude" requirements.txt)
wanted=$(printf '%s\n%s %s\n' "$requirements" "$torch_version" "$vision_version" | sha256sum)

if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
    echo "== creating $venv (torch $torch_version, torchvision $vision_version)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    PIP_CONSTRAINT=/dev/null "$venv/bin/python" -m pip install --quiet \
        -r <(echo "$requirements") "torch==$torch_version" "torchvision==$vision_version"
    "$venv/bin/python" -m pip install --quiet --no-deps -e .
    echo "$wanted" >"$stamp"
fi

"$venv/bin/python" -c 'import torch, torchvision; print("== torch", torch.__version__,
"torchvision", torchvision.__version__)'
[[ ${INSTALL_ONLY:-0} == 1 ]] && exit 0
# The chapters read MNIST from CECODE_DATA_DIR (tests/conftest.py sets it for tests/ only).
if [[ -z ${CECODE_DATA_DIR:-} && -d ../shared/data/MNIST/raw ]]; then
    export CECODE_DATA_DIR=$PWD/../shared/data
fi
# Both lanes run even if the first fails; the exit status is the worse of the two.
status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit || status=$?
"$venv/bin/python" -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
    --nbval-cell-timeout=300 book || status=$?
exit "$status"
