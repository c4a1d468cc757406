#!/usr/bin/env bash
# The SAM checks: validate + lint the template, build every artifact without Docker, load the
# built artifacts in tests (pytest -m built), and print their sizes. Exits non-zero on any failure.
#
# SAM CLI and cfn-lint live in their own virtualenv, .local/sam-venv: they pin boto3, pydantic
# and friends at versions that clash with the application's. `sam build` (BuildMethod makefile,
# deploy/Makefile) needs the runtime's Python, python3.11, on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_CLI_VERSION="1.170.0"
CFN_LINT_VERSION="1.58.0"
SAM_VENV=".local/sam-venv"
BUILD_DIR=".aws-sam/build"
export SAM_CLI_TELEMETRY=0
# sam validate translates the template; it needs a region, never credentials.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" AWS_REGION="${AWS_REGION:-us-east-1}"

start=$(date +%s)
step_start=""
step() {  # announce a step; say how long the previous one took
  local now
  now=$(date +%s)
  [ -z "${step_start}" ] || echo "   ($((now - step_start)) s)"
  echo "== $1"
  step_start=$now
}

command -v python3.11 >/dev/null || { echo "sam.sh: python3.11 (the Lambda runtime's Python) must be on PATH" >&2; exit 1; }

step "SAM CLI ${SAM_CLI_VERSION} and cfn-lint ${CFN_LINT_VERSION} in ${SAM_VENV}"
wanted="aws-sam-cli==${SAM_CLI_VERSION} cfn-lint==${CFN_LINT_VERSION}"
if [ ! -x "${SAM_VENV}/bin/sam" ] || [ "$(cat "${SAM_VENV}/.installed" 2>/dev/null)" != "${wanted}" ]; then
  [ -x "${SAM_VENV}/bin/python" ] || python3.11 -m venv "${SAM_VENV}"
  # shellcheck disable=SC2086
  "${SAM_VENV}/bin/python" -m pip install --quiet --disable-pip-version-check ${wanted}
  echo "${wanted}" > "${SAM_VENV}/.installed"
fi
SAM="${SAM_VENV}/bin/sam"
"${SAM}" --version

step "sam validate --lint"
"${SAM}" validate --lint

step "cfn-lint template.yaml"
"${SAM_VENV}/bin/cfn-lint" template.yaml

step "sam build (cached, parallel: samconfig.toml)"
"${SAM}" build --build-dir "${BUILD_DIR}"

step "tests on the built artifacts (pytest -m built)"
[ -x .venv/bin/pytest ] || scripts/bootstrap
CHIFFON_REQUIRE_SAM_BUILD=1 .venv/bin/pytest tests/lambda -q -m built

step "artifact sizes (unzipped, zipped as sam deploy uploads them)"
for artifact in SessionsFunction ChatFunction PlansFunction DependenciesLayer SharedLayer; do
  dir="${BUILD_DIR}/${artifact}"
  unzipped=$(du -sh "${dir}" | cut -f1)
  zipped=$(python3.11 - "${dir}" <<'PY'
import io, os, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, _, files in os.walk(sys.argv[1]):
        for name in files:
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, sys.argv[1]))
size = buffer.tell()
print(f"{size / 1024 / 1024:.1f}M" if size >= 1024 * 1024 else f"{size / 1024:.0f}K")
PY
)
  printf '%-18s %8s unzipped %8s zipped\n' "${artifact}" "${unzipped}" "${zipped}"
done

step "sam.sh finished in $(($(date +%s) - start)) s"
