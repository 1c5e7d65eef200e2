"""CI runs non-interactively, smoke-tests the installed wheel outside the checkout, and ends with pytest."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / ".ci"


def commands(script: Path) -> list[str]:
    lines = [line.strip() for line in script.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_the_scripts_parse_and_stop_at_the_first_failure():
    for name in ("run", "wheel_smoke"):
        script = CI / name
        assert os.access(script, os.X_OK), f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)
        assert "set -euo pipefail" in commands(script)


def test_ci_smoke_tests_the_wheel_then_the_test_suite_decides_the_exit_code():
    steps = commands(CI / "run")
    smoke = next(i for i, line in enumerate(steps) if ".ci/wheel_smoke" in line)
    assert steps[-1] == '"$work/.venv/bin/python" -m pytest'
    assert smoke < len(steps) - 1
    assert not any("|| true" in line or "set +e" in line for line in steps)


def test_the_smoke_test_runs_the_installed_wheel_from_outside_the_checkout():
    steps = commands(CI / "wheel_smoke")
    text = "\n".join(steps)
    assert "pip\" wheel --quiet --no-deps" in text
    assert 'cd "$work/outside"' in steps
    answer = '"$work/.venv/bin/contextwatch" run --prompt hi --max-tokens 4 --json'
    assert any(line.startswith(answer) for line in steps)
    assert steps[-1].endswith('.ci/check_wheel_install.py" "$work/run.json" "$work/.venv"')
    assert (CI / "check_wheel_install.py").is_file()


def test_the_linters_and_the_import_contract_run_before_the_tests():
    steps = commands(CI / "run")
    install = next(i for i, line in enumerate(steps) if "pip\" install --quiet \"$repo[" in line)
    assert "lint" in steps[install].split("[", 1)[1]
    lint = [next(i for i, line in enumerate(steps) if line.startswith(f'"$work/.venv/bin/{tool}"'))
            for tool in ("ruff", "mypy", "lint-imports")]
    assert steps[lint[0]] == '"$work/.venv/bin/ruff" check .'
    assert install < min(lint) and max(lint) < len(steps) - 1
    assert steps.index('cd "$repo"') < min(lint)
