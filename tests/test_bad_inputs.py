"""The bad-input catalogue: every case in tests/bad_inputs/ must fail cleanly.

Each folder ``tests/bad_inputs/<NN_name>/`` holds a config (and data) and ``expected.txt``:
line 1 is the command, the other lines are fragments that must all appear on stderr (see
tests/bad_inputs/README.md). A case must exit with status 2, print no traceback, and every
stderr line must start with ``error:`` or ``warning:``.

Cases run in this process through ``dce.cli.main`` (fast); those marked ``@subprocess`` run
``python -m dce`` in a child process, to prove that nothing but the error lines reaches the
terminal. Set ``DCE_BAD_INPUTS_SUBPROCESS=1`` to run every case in a child process.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "bad_inputs"
GOOD_DIR = HERE / "good_inputs"
ROOT = HERE.parent
WRITES = ("run", "design", "simulate", "fit")
ALL_SUBPROCESS = os.environ.get("DCE_BAD_INPUTS_SUBPROCESS") == "1"
CASE_NAME = re.compile(r"^\d{2,3}_[A-Za-z0-9_]+$")


@dataclass
class Case:
    folder: Path
    command: str
    fragments: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    subprocess: bool = False
    xfail: str | None = None

    @property
    def name(self) -> str:
        return self.folder.name

    def argv(self, out: Path) -> list[str]:
        """The command line: just a command means ``<command> config.yaml [--output out]``."""
        words = shlex.split(self.command)
        if len(words) == 1:
            words.append("config.yaml")
            if words[0] in WRITES:
                words += ["--output", str(out)]
        return [w.replace("{out}", str(out)) for w in words]


def read_case(folder: Path) -> Case:
    lines = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].strip():
        raise ValueError(f"{folder / 'expected.txt'}: line 1 must be the command")
    case = Case(folder, lines[0].strip())
    for line in lines[1:]:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text == "@subprocess":
            case.subprocess = True
        elif text.startswith("@xfail"):
            case.xfail = text.partition(" ")[2].strip() or "known problem"
        elif text.startswith("@"):
            raise ValueError(f"{folder / 'expected.txt'}: unknown directive {text!r}")
        elif text.startswith("!"):
            case.absent.append(text[1:].strip())
        else:
            case.fragments.append(text)
    return case


def collect(directory: Path) -> list[Case]:
    if not directory.is_dir():
        return []
    return [read_case(p) for p in sorted(directory.iterdir())
            if p.is_dir() and CASE_NAME.match(p.name)]


def params(cases: list[Case]):
    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        out.append(pytest.param(c, id=c.name, marks=marks))
    return out


def run_case(case: Case, tmp_path: Path, capsys, monkeypatch) -> tuple[int, str, str]:
    """Copy the case folder to ``tmp_path/case`` and run its command there."""
    work = tmp_path / "case"
    shutil.copytree(case.folder, work)
    argv = case.argv(tmp_path / "out")
    if case.subprocess or ALL_SUBPROCESS:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        proc = subprocess.run([sys.executable, "-m", "dce", *argv], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr
    from dce.cli import main

    monkeypatch.chdir(work)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD = collect(CASES_DIR)


def test_catalogue_is_not_empty():
    assert len(BAD) >= 45, f"expected at least 45 bad-input cases, found {len(BAD)}"


@pytest.mark.parametrize("case", params(BAD))
def test_bad_input(case: Case, tmp_path, capsys, monkeypatch):
    code, out, err = run_case(case, tmp_path, capsys, monkeypatch)
    shown = f"\n--- exit {code}\n--- stderr:\n{err}--- stdout:\n{out}"
    assert "Traceback" not in err and "Traceback" not in out, shown
    assert code == 2, f"expected exit status 2{shown}"
    lines = err.splitlines()
    assert lines, f"no message on stderr{shown}"
    stray = [ln for ln in lines if not ln.startswith(("error:", "warning:"))]
    assert not stray, f"stderr lines must start with 'error:' or 'warning:'{shown}"
    assert any(ln.startswith("error:") for ln in lines), shown
    missing = [f for f in case.fragments if f not in err]
    assert not missing, f"missing from stderr: {missing}{shown}"
    unwanted = [f for f in case.absent if f in err]
    assert not unwanted, f"should not be on stderr (a follow-on error?): {unwanted}{shown}"
    repeated = [ln for ln in lines if repeats_its_key(ln)]
    assert not repeated, f"the message repeats its key: {repeated}{shown}"


LOCATED = re.compile(r"^error: (?:.+?: )?(?P<key>[A-Za-z_]\w*(?:\.\w+)+): (?P<message>.*)$")


def repeats_its_key(line: str) -> bool:
    """``model.price: model.price is ...``, ``model.space: space: wtp ...`` or
    ``model.classes: classes is ...``: the dotted config key said again after the location."""
    m = LOCATED.match(line)
    if m is None:
        return False
    key, message = m.group("key"), m.group("message")
    last = key.rsplit(".", 1)[1]
    return message.startswith((key, f"{last}:", f"{last} is "))


@pytest.mark.parametrize("line, repeats", [
    ("error: c.yaml:15: model.price: model.price is used only with space: wtp", True),
    ("error: c.yaml:15: model.space: space: wtp needs model.price", True),
    ("error: c.yaml:12: model.classes: classes is a latent class setting", True),
    ("error: c.yaml:15: model.price: used only with space: wtp", False),
    ("error: choices.csv:42: respondent: respondent '6' is not in the table", False),
    ("error: c.yaml:10: choices.file: file not found: choices.csv", False),
])
def test_repeated_key_detector(line, repeats):
    assert repeats_its_key(line) is repeats


GOOD = collect(GOOD_DIR)


@pytest.mark.parametrize("case", params(GOOD))
def test_good_input(case: Case, tmp_path, capsys, monkeypatch):
    """Inputs that look odd but are valid (e.g. a UTF-8 byte-order mark) must succeed."""
    code, out, err = run_case(case, tmp_path, capsys, monkeypatch)
    shown = f"\n--- exit {code}\n--- stderr:\n{err}--- stdout:\n{out}"
    assert code == 0, shown
    assert not [ln for ln in err.splitlines() if ln.startswith("error:")], shown
    missing = [f for f in case.fragments if f not in out]
    assert not missing, f"missing from stdout: {missing}{shown}"
