#!/usr/bin/env bash
# Prepares an instance (Debian 12, Ubuntu 22.04/24.04 or Amazon Linux 2023) to become the worker
# image: Node.js 20, the project with its production dependencies, the verified model, the eir
# system user and the systemd unit(s). Run it as root on a fresh instance, or from the user-data of
# the instance you make the AMI from; then create the AMI. See docs/deploy-aws.md.
set -euo pipefail
umask 022
# User-data runs without HOME, which npm needs.
export HOME="${HOME:-/root}"

usage() {
  cat <<'USAGE'
Usage: prepare-worker-image.sh [options] SOURCE

SOURCE is one of:
  a release tarball, as a file or an http(s) URL (a pre-signed S3 URL, say): see deploy/make-release.sh;
  it holds the build and the model, so only production dependencies are installed
  a git URL ending in .git (or git@host:path): it is built here, which needs the dev dependencies
  a directory holding a checkout or an unpacked release (copied without node_modules and .git)

Options (the environment variable that sets each default in brackets):
  --ref REF            branch or tag of a git SOURCE [EIR_GIT_REF; default: the default branch]
  --model ID           model to fetch and verify [MODEL; default mobilenet_v2_1.0_224_quant]
  --model-mirror DIR   folder holding <model id>/<file> to copy the model from [MODEL_MIRROR]
  --node-version V     Node.js release to install unless node 20 is present [NODE_VERSION; default 20.20.2]
  --install-dir DIR    where the project is installed [EIR_INSTALL_DIR; default /opt/eir]
  --control-plane      also install and enable eir-control-plane.service
  -h, --help           show this help
USAGE
}

log() { printf '[prepare-worker-image] %s\n' "$*"; }
die() {
  printf '[prepare-worker-image] error: %s\n' "$*" >&2
  exit 1
}

source_spec="${EIR_SOURCE:-}"
git_ref="${EIR_GIT_REF:-}"
model="${MODEL:-mobilenet_v2_1.0_224_quant}"
model_mirror="${MODEL_MIRROR:-}"
node_version="${NODE_VERSION:-20.20.2}"
install_dir="${EIR_INSTALL_DIR:-/opt/eir}"
control_plane=false
staging=""

while (($#)); do
  case "$1" in
    --ref) git_ref="${2:?--ref needs a value}" && shift 2 ;;
    --model) model="${2:?--model needs a value}" && shift 2 ;;
    --model-mirror) model_mirror="${2:?--model-mirror needs a value}" && shift 2 ;;
    --node-version) node_version="${2:?--node-version needs a value}" && shift 2 ;;
    --install-dir) install_dir="${2:?--install-dir needs a value}" && shift 2 ;;
    --control-plane) control_plane=true && shift ;;
    -h | --help) usage && exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      [[ -z "$source_spec" ]] || die "one SOURCE only (got '$source_spec' and '$1')"
      source_spec="$1" && shift
      ;;
  esac
done

[[ -n "$source_spec" ]] || {
  usage >&2
  exit 2
}
[[ "$(id -u)" -eq 0 ]] || die "run as root: it installs packages, a system user and systemd units"
[[ "$install_dir" == /* ]] || die "--install-dir must be an absolute path, got '$install_dir'"
if [[ -n "$model_mirror" ]]; then
  [[ -d "$model_mirror" ]] || die "--model-mirror '$model_mirror' is not a directory"
  model_mirror="$(cd "$model_mirror" && pwd)"
fi

# The package that provides each command, on apt-based and dnf-based systems.
package_for() {
  local manager="$1" command="$2"
  case "$manager:$command" in
    apt:xz) echo xz-utils ;;
    apt:useradd) echo passwd ;;
    dnf:g++) echo gcc-c++ ;;
    dnf:useradd) echo shadow-utils ;;
    *) echo "$command" ;;
  esac
}

# Installs the packages of whichever of the given commands are missing.
require_commands() {
  local missing=() command manager packages=()
  for command in "$@"; do
    command -v "$command" >/dev/null || missing+=("$command")
  done
  ((${#missing[@]})) || return 0
  if command -v apt-get >/dev/null; then
    manager=apt
  elif command -v dnf >/dev/null; then
    manager=dnf
  else
    die "missing ${missing[*]}, and neither apt-get nor dnf is here to install them"
  fi
  for command in "${missing[@]}"; do
    packages+=("$(package_for "$manager" "$command")")
  done
  log "installing ${packages[*]}"
  if [[ "$manager" == apt ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends ca-certificates "${packages[@]}" >/dev/null
  else
    dnf install -y -q "${packages[@]}"
  fi
}

# Node.js 20 as /usr/local/bin/node, which the units run: the one present, or the official build,
# checked against the release's SHASUMS256.txt.
install_node() {
  if command -v node >/dev/null && [[ "$(node --version)" == v20.* ]] && command -v npm >/dev/null; then
    log "using $(command -v node) $(node --version)"
    [[ -x /usr/local/bin/node ]] || ln -s "$(command -v node)" /usr/local/bin/node
    return
  fi
  local arch name base download
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) die "no Node.js build for $(uname -m)" ;;
  esac
  name="node-v${node_version}-linux-${arch}"
  base="https://nodejs.org/dist/v${node_version}"
  download="$(mktemp -d)"
  log "installing Node.js ${node_version} from ${base}"
  curl -fsSL --retry 3 -o "$download/$name.tar.xz" "$base/$name.tar.xz"
  curl -fsSL --retry 3 -o "$download/SHASUMS256.txt" "$base/SHASUMS256.txt"
  (cd "$download" && grep " $name.tar.xz\$" SHASUMS256.txt | sha256sum --check --quiet -) ||
    die "$name.tar.xz does not match its published sha256"
  rm -rf "/opt/$name"
  tar -xJf "$download/$name.tar.xz" -C /opt
  rm -rf "$download"
  local tool
  for tool in node npm npx; do
    ln -sfn "/opt/$name/bin/$tool" "/usr/local/bin/$tool"
  done
  export PATH="/usr/local/bin:$PATH"
}

# Puts the project's files in $1/project.
fetch_source() {
  local staging="$1"
  mkdir -p "$staging/unpacked"
  case "$source_spec" in
    *.git | git@* | ssh://* | git://*)
      local clone=(git clone --quiet --depth 1)
      [[ -z "$git_ref" ]] || clone+=(--branch "$git_ref")
      log "cloning $source_spec ${git_ref:+($git_ref)}"
      "${clone[@]}" "$source_spec" "$staging/unpacked/project"
      ;;
    http://* | https://*)
      log "downloading the release"
      curl -fsSL --retry 3 -o "$staging/release.tar.gz" "$source_spec"
      tar -xzf "$staging/release.tar.gz" -C "$staging/unpacked"
      ;;
    *)
      if [[ -d "$source_spec" ]]; then
        log "copying $source_spec"
        mkdir -p "$staging/unpacked/project"
        tar -C "$source_spec" --exclude=./node_modules --exclude=./.git --exclude=./data -cf - . | tar -C "$staging/unpacked/project" -xf -
      elif [[ -f "$source_spec" ]]; then
        tar -xzf "$source_spec" -C "$staging/unpacked"
      else
        die "SOURCE '$source_spec' is neither a file, a directory, an http(s) URL nor a git URL"
      fi
      ;;
  esac
  # A release tarball holds the files at its top; a git host's archive holds one folder.
  local root="$staging/unpacked"
  if [[ ! -f "$root/package.json" ]]; then
    local candidates=("$root"/*/package.json)
    [[ ${#candidates[@]} -eq 1 && -f "${candidates[0]}" ]] || die "SOURCE holds no package.json at its top or in one folder"
    root="$(dirname "${candidates[0]}")"
  fi
  mv "$root" "$staging/project"
}

fetch_model() {
  local settings=("MODEL=$model")
  [[ -z "$model_mirror" ]] || settings+=("MODEL_MIRROR=$model_mirror")
  env "${settings[@]}" node dist/scripts/model-fetch.js ||
    die "could not fetch model $model: the default model has no public URL, so use a release tarball that holds it, --model-mirror, or a model with URLs (--model resnet18-v1-7)"
}

# Installs production dependencies. A checkout (it has tsconfig.build.json) is built first, with
# the dev dependencies, which are dropped afterwards; a release (make-release.sh) holds its build.
build_project() {
  cd "$1"
  export ONNXRUNTIME_NODE_INSTALL=skip npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
  # A cache in the staging folder leaves nothing behind in the image.
  export npm_config_cache="${npm_config_cache:-$staging/npm-cache}"
  if [[ -f tsconfig.build.json ]]; then
    log "building: installing all dependencies, then removing the dev ones"
    npm ci
    npx --no-install nest build
    fetch_model
    npm prune --omit=dev
  elif [[ -f dist/src/worker.js ]]; then
    log "the source is a release: installing production dependencies"
    npm ci --omit=dev
    fetch_model
  else
    die "SOURCE is neither a checkout (no tsconfig.build.json) nor a release (no dist/src/worker.js)"
  fi
  node -e "require('better-sqlite3'); require('onnxruntime-node'); require('sharp')" ||
    die "the native modules do not load on this system"
  cd /
}

install_units() {
  if ! id eir >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell "$(command -v nologin || echo /usr/sbin/nologin)" eir
  fi
  install -d -m 0755 /etc/eir
  # The image must not carry one worker's identity: each launch's user-data writes its own.
  rm -f /etc/eir/worker.env
  install -m 0644 "$install_dir/deploy/ec2/eir-worker.service" /etc/systemd/system/eir-worker.service
  if [[ "$control_plane" == true ]]; then
    install -m 0644 "$install_dir/deploy/ec2/eir-control-plane.service" /etc/systemd/system/eir-control-plane.service
    systemctl enable eir-control-plane.service
  fi
  if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
  fi
}

main() {
  local tools=(curl tar xz sha256sum useradd make g++ python3)
  case "$source_spec" in *.git | git@* | ssh://* | git://*) tools+=(git) ;; esac
  require_commands "${tools[@]}"
  install_node

  staging="$(mktemp -d "$(dirname "$install_dir")/.eir-staging.XXXXXX")"
  trap 'rm -rf "${staging:?}"' EXIT
  fetch_source "$staging"
  build_project "$staging/project"
  chmod -R go-w "$staging/project"
  rm -rf "$install_dir.previous"
  if [[ -e "$install_dir" ]]; then mv "$install_dir" "$install_dir.previous"; fi
  mv "$staging/project" "$install_dir"
  rm -rf "$install_dir.previous"
  install_units

  log "installed in $install_dir with $(node --version) and model $model"
  log "worker unit: /etc/systemd/system/eir-worker.service (started by each launch's user-data)"
  if [[ "$control_plane" == true ]]; then
    log "control plane: write /etc/eir/control-plane.env, then: systemctl start eir-control-plane"
  fi
  log "next: stop this instance and create the AMI from it (docs/deploy-aws.md)"
}

main
