"""Tests that the pip install (pyproject.toml), Binder (environment.yml), CI and README agree."""

import re
import tomllib

import yaml
from nbhelpers import REPO

# conda-forge names the packages that differ from their PyPI names.
CONDA_NAME = {"torch": "pytorch"}


def pip_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement!r} must pin an exact version"
        pins[CONDA_NAME.get(name.strip(), name.strip())] = version.strip()
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pins = {}
    for entry in env["dependencies"]:
        if not isinstance(entry, str) or entry in ("pip",) or entry.startswith("python="):
            continue
        name, version, *build = entry.split("=")
        pins[name] = version
    return pins


def test_environment_yml_has_the_same_packages_and_versions_as_pyproject():
    assert conda_pins() == pip_pins()


def test_torch_is_pinned_to_the_cpu_build():
    assert pip_pins()["pytorch"] == "2.13.0"
    env = (REPO / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*pytorch=2\.13\.0=cpu_\*\s*$", env, re.M)


def test_binder_uses_conda_forge_only_and_installs_the_course_package():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    post_build = (REPO / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build


def test_python_versions_agree():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_python = next(e for e in env["dependencies"] if str(e).startswith("python="))
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=" + conda_python.split("=")[1]


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert re.search(r"^make test$", (REPO / ".ci" / "run").read_text(), re.M)


def test_readme_binder_badge_opens_the_first_notebook():
    readme = (REPO / "README.md").read_text()
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]+\)", readme)
    assert badge, "README needs a Binder badge"
    assert "release/01_parameters/01_parameters.ipynb" in badge.group(0)


def test_dev_dependencies_are_pinned_exactly():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    loose = [r for r in project["optional-dependencies"]["dev"] if "==" not in r]
    assert not loose, f"pin these to one version: {loose}"


def _recipe(target: str) -> str:
    """The commands of a Makefile target."""
    found = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)*)", (REPO / "Makefile").read_text(), re.M)
    assert found, f"the Makefile has no {target} target"
    return found.group(1)


def test_make_test_installs_no_system_packages_and_system_deps_does():
    """`make test` only checks for chromium and bubblewrap; `make system-deps` and CI install them"""
    script = "scripts/ensure_system_packages.sh"
    assert f"{script} --check" in _recipe("test") and "apt" not in _recipe("test")
    assert f"{script} --install" in _recipe("system-deps")
    assert "make system-deps" in (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "bubblewrap" in ci and "chromium" in ci and "COURSE_REQUIRE_SANDBOX=1" in ci
