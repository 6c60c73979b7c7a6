"""Packaging: extras state ranges, constraints.txt pins the tested versions, and CI runs
exactly the README's set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

tomllib = pytest.importorskip("tomllib")
requirements = pytest.importorskip("packaging.requirements")


def _extras() -> dict[str, list[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["optional-dependencies"]


def _pins() -> dict[str, str]:
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    return pins


def test_train_states_ranges_and_the_constraints_pin_versions_inside_them():
    train = {r.name: r for r in map(requirements.Requirement, _extras()["train"])}
    assert not [str(r) for r in train.values() if "==" in str(r.specifier)]
    pins = _pins()
    assert {"torch", "torchvision"} <= set(pins)
    for name, version in pins.items():
        assert version in train[name].specifier, f"{name}=={version} outside {train[name]}"


def test_ci_runs_exactly_the_readme_set_up_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    set_up = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", set_up, flags=re.S)
    assert len(commands) == 2 and "-c constraints.txt" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert all(command in ci for command in commands)
    assert any("apt-get install" in line and "chromium" in line for line in ci)


def test_the_readme_quotes_the_skip_reasons_the_tests_print():
    """The install guide's table of what a lighter test set-up skips quotes each skip's reason
    as a test prints it, and says how the Node example gets its packages; the README points
    to it."""
    assert "docs/install.md" in (REPO / "README.md").read_text(encoding="utf-8")
    section = (REPO / "docs" / "install.md").read_text(encoding="utf-8")
    sources = "".join(path.read_text(encoding="utf-8") for path in (REPO / "tests").glob("*.py"))
    reasons = re.findall(r"\| `{1,2}([^|]*?)`{1,2} \|$", section, flags=re.M)
    quoted = [r for reason in reasons for r in reason.split("`, `")]
    assert len(quoted) >= 4
    for reason in quoted:
        if not reason.startswith("could not import"):  # pytest's own importorskip words
            assert reason in sources, reason
    assert "npm ci --ignore-scripts" in section and "download.pytorch.org/whl/cpu" in section


def test_one_version_source_for_pyproject_the_package_and_the_model_card():
    import wildvision
    from wildvision._version import __version__

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "wildvision/_version.py"
    assert wildvision.__version__ == __version__
    card = (REPO / "exported_models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert f"wildvision library {__version__}" in card
