# Sourced by the scripts: make sure .venv exists and has the project (and extras) installed.
# usage: . scripts/_venv.sh [extras]
set -e
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
fi
STAMP="$VENV/.kamlite-installed${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "installing kamlite into $VENV" >&2
  if [ -n "$EXTRAS" ]; then
    "$VENV/bin/python" -m pip install -q -e "$ROOT[$EXTRAS]" >&2
  else
    "$VENV/bin/python" -m pip install -q -e "$ROOT" >&2
  fi
  touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
