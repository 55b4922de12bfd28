#!/usr/bin/env bash
# Makes sure the tools the tests drive are installed: Chromium for the browser tests, ShellCheck for
# the shell-script tests, tmux for the command-line client's terminal test, PostgreSQL's server for
# the event log on PostgreSQL (each such test starts a server of its own). Each may be named by a
# path (CHROMIUM_PATH, SHELLCHECK_PATH, TMUX_PATH; PG_BIN, the folder of initdb and postgres); what is
# missing is installed from Debian's packages with apt-get when we may (root), in one go.
set -euo pipefail

missing=()

# need <variable that may name the executable> <default command or path> <Debian package>
need() {
  local variable=$1 default=$2 package=$3
  local given=${!variable:-}
  if [[ -n "$given" ]]; then
    if [[ -x "$given" ]]; then
      return 0
    fi
    echo "$variable=$given is not an executable file" >&2
    exit 1
  fi
  if ! command -v "$default" >/dev/null; then
    missing+=("$package")
  fi
}

need CHROMIUM_PATH /usr/bin/chromium chromium
need SHELLCHECK_PATH shellcheck shellcheck
need TMUX_PATH tmux tmux

# PostgreSQL's server programs are not on the PATH: Debian keeps them in /usr/lib/postgresql/<major>/bin.
if [[ -n "${PG_BIN:-}" ]]; then
  if [[ ! -x "$PG_BIN/initdb" || ! -x "$PG_BIN/postgres" ]]; then
    echo "PG_BIN=$PG_BIN holds no initdb and postgres" >&2
    exit 1
  fi
elif ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing+=(postgresql)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "The tests need: ${missing[*]}. Install Debian's packages as root (apt-get install -y ${missing[*]})," >&2
  echo "or set CHROMIUM_PATH / SHELLCHECK_PATH / TMUX_PATH to the executables (PG_BIN to PostgreSQL's bin folder)." >&2
  exit 1
fi
echo "Installing for the tests: ${missing[*]} (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
