"""Tests that the pip install (pyproject.toml), Binder (environment.yml), CI and README agree."""

import os
import re
import subprocess
import tomllib

import pytest
import yaml
from nbhelpers import REPO

# conda-forge names the packages that differ from their PyPI names.
# pip name -> conda-forge name. conda-forge's distributed is pip's dask[distributed]: the scheduler
# and workers, with dask (dask-core) at the same version.
CONDA_NAME = {"torch": "pytorch", "dask[distributed]": "distributed"}


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


# Not on conda-forge: Binder's postBuild installs these from PyPI, at the same pin.
PIP_ONLY_ON_BINDER = {"koreanize-matplotlib"}


def test_environment_yml_has_the_same_packages_and_versions_as_pyproject():
    pins = pip_pins()
    assert conda_pins() == {name: v for name, v in pins.items() if name not in PIP_ONLY_ON_BINDER}
    post_build = (REPO / "postBuild").read_text()
    for name in PIP_ONLY_ON_BINDER:
        line = rf"^python -m pip install --no-deps {name}=={re.escape(pins[name])}$"
        assert re.search(line, post_build, re.M), f"postBuild must install {name}=={pins[name]}"


def test_torch_is_pinned_to_the_cpu_build():
    assert pip_pins()["pytorch"] == "2.13.0"
    env = (REPO / "environment.yml").read_text()
    # cpu_generic: OpenBLAS; a bare cpu_* resolves to the larger MKL build (cpu_mkl).
    assert re.search(r"^\s*-\s*pytorch=2\.13\.0=cpu_generic_\*\s*$", env, re.M)


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


BINDER_LINK = re.compile(
    r"^\[binder\]: https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/HEAD\?urlpath=(\S+)$", re.M)


def test_readme_binder_badge_opens_the_first_notebook():
    readme = (REPO / "README.md").read_text()
    assert "[![Launch on Binder](https://mybinder.org/badge_logo.svg)][binder]" in readme
    link = BINDER_LINK.search(readme)
    assert link, "README needs one `[binder]: https://mybinder.org/v2/gh/OWNER/NAME/HEAD?urlpath=…` line"
    assert link.group(2) == "lab/tree/release/01_parameters/01_parameters.ipynb"


KOREAN_BINDER_LINK = re.compile(
    r"^\[binder-ko\]: https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/HEAD\?urlpath=(\S+)$", re.M)


def test_both_readmes_link_the_korean_edition_on_binder():
    """Check that README.md and README.ko.md open the Korean edition's first notebook on Binder"""
    for name in ("README.md", "README.ko.md"):
        text = (REPO / name).read_text()
        link = KOREAN_BINDER_LINK.search(text)
        assert link and link.group(2) == "lab/tree/ko/release/01_parameters/01_parameters.ipynb", name
        assert "(https://mybinder.org/badge_logo.svg)][binder-ko]" in text, name
    assert "[README.ko.md](README.ko.md)" in (REPO / "README.md").read_text().split("\n## ")[0]


def test_korean_readme_gives_the_two_setup_commands():
    text = (REPO / "README.ko.md").read_text()
    assert re.search(r"^make lab LANG=ko ", text, re.M) and re.search(r"^make test ", text, re.M)
    assert "ko/release/01_parameters/01_parameters.ipynb" in text


@pytest.mark.parametrize(("lang", "opens"), [("ko", "ko/release/"), ("ko_KR.UTF-8", "ko/release/"),
                                             ("C.UTF-8", " release/"), ("en_US.UTF-8", " release/")])
def test_make_lab_opens_the_edition_of_the_language(lang, opens):
    """Check (without running it) which first notebook `make lab LANG=...` opens"""
    done = subprocess.run(["make", "-n", "-W", "pyproject.toml", "lab", f"LANG={lang}"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    commands = done.stdout.replace("\\\n", " ")
    line = next(x for x in commands.splitlines() if "jupyter lab" in x)
    assert re.sub(r"\s+", " ", line).endswith(f"{opens}01_parameters/01_parameters.ipynb"), line
    assert "LANG=ko " not in commands          # a bare `ko` is no locale: the server gets C.UTF-8


def test_binder_slug_is_written_in_one_place():
    """Check that a fork changes the Binder repository in the README lines that say so, and nowhere else"""
    slug = BINDER_LINK.search((REPO / "README.md").read_text()).group(1)
    assert {KOREAN_BINDER_LINK.search((REPO / name).read_text()).group(1)
            for name in ("README.md", "README.ko.md")} == {slug}
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    places = []
    for name in tracked.stdout.splitlines():
        path = REPO / name
        if path.suffix in {".ipynb", ".db", ".png"} or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        places += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if slug in line]
    assert sorted(places) == sorted([f"README.md:{_line(REPO / 'README.md', '[binder]: ')}",
                                     f"README.md:{_line(REPO / 'README.md', '[binder-ko]: ')}",
                                     f"README.ko.md:{_line(REPO / 'README.ko.md', '[binder-ko]: ')}"]), places


def _line(path, start):
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(start))


def test_binder_start_script_runs_one_thread_and_hands_over():
    start = REPO / "start"
    assert os.access(start, os.X_OK), "repo2docker runs `start` only if it is executable"
    text = start.read_text()
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        assert re.search(rf"^export {variable}=1$", text, re.M)
    assert text.rstrip().endswith('exec "$@"'), "start must hand over to the command Binder gives it"


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
