"""The command line guides: examples in every help, `dce init` runs as written, the JSON
Schema validates the shipped configs and rejects unknown keys, a summary at the end."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from dce.cli import EXAMPLES, build_parser, main
from dce.config.schema import config_schema
from dce.config.template import CONFIG, example_choices
from dce.config.yamlio import load_yaml

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (REPO / "configs").glob("*.yaml") if ".tmp" not in p.name)


def help_text(argv, capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


def test_every_help_shows_an_example(capsys):
    top = help_text(["--help"], capsys)
    assert "getting started:" in top and "dce init my_study" in top
    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) == set(EXAMPLES)
    for name in commands:
        text = help_text([name, "--help"], capsys)
        assert "example" in text and f"dce {name}" in text, name


def test_init_then_run_in_a_fresh_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "demo"]) == 0
    out = capsys.readouterr().out
    assert "dce run demo/demo.yaml" in out
    cfg = tmp_path / "demo" / "demo.yaml"
    assert cfg.read_text().startswith("# yaml-language-server: $schema=dce-config.schema.json")
    assert (tmp_path / "demo" / "data" / "choices.csv").is_file()
    assert main(["run", "demo/demo.yaml"]) == 0
    summary = capsys.readouterr().out
    report = tmp_path / "demo" / "results" / "report.html"
    assert report.is_file() and (tmp_path / "demo" / "results" / "report.md").is_file()
    assert f"Report: {report}" in summary.replace("\n", " ")
    assert "Most important attributes - Patients:" in summary.replace("\n", " ")
    # a second init into the same folder is refused, cleanly
    assert main(["init", "demo"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["init", "no spaces"]) == 2


def test_example_data_is_fixed():
    assert example_choices() == example_choices()
    lines = example_choices().splitlines()
    assert lines[0] == "respondent,group,task,alternative,chosen,wait,clinician,travel,evening"
    assert len(lines) == 1 + 60 * 8 * 2


@pytest.fixture(scope="module")
def schema():
    s = config_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return s


def test_schema_command_prints_the_schema(capsys, schema):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema


@pytest.mark.parametrize("path", SHIPPED + ["init"], ids=lambda p: getattr(p, "name", p))
def test_schema_validates_shipped_configs(path, schema):
    text = CONFIG.format(name="demo") if path == "init" else path.read_text()
    data, _ = load_yaml(text, str(path))  # YAML 1.2, as dce and editors read it
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("change", [
    lambda c: c.update(colour="red"),                          # unknown top-level key
    lambda c: c["model"].update(tyep="conditional_logit"),     # misspelt nested key
    lambda c: c["data"].update(exclude_failed_check=True),     # misspelt data key
    lambda c: c.update(schema_version=2),                      # wrong value
])
def test_schema_rejects_unknown_keys(change, schema):
    cfg, _ = load_yaml(CONFIG.format(name="demo"), "demo.yaml")
    change(cfg)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cfg, schema, cls=jsonschema.Draft202012Validator)


def _keys(node, defs, seen=()) -> set:
    """Every property name reachable in the schema."""
    out = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref and ref not in seen:
            out |= _keys(defs[ref.split("/")[-1]], defs, seen + (ref,))
        for k, v in (node.get("properties") or {}).items():
            out.add(k)
            out |= _keys(v, defs, seen)
        for key in ("anyOf", "allOf", "oneOf", "items", "additionalProperties"):
            sub = node.get(key)
            for s in sub if isinstance(sub, list) else [sub]:
                out |= _keys(s, defs, seen)
    return out


def test_config_reference_documents_every_key(schema):
    doc = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    keys = _keys(schema, schema.get("$defs", {}))
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert not missing, f"docs/config.md does not describe: {missing}"


def test_design_only_study_before_any_data(tmp_path, capsys):
    """validate, design and cards work on attributes + design alone; run says which
    commands do."""
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("schema_version: 1\nname: plan\nseed: 1\nattributes:\n"
                   "  a: {levels: [x, y, z]}\n  b: {levels: [p, q]}\n"
                   "design: {method: d-efficient, alternatives: 2, tasks: 6, blocks: 1}\n",
                   encoding="utf-8")
    assert main(["validate", str(cfg)]) == 0
    assert "No responses yet" in capsys.readouterr().out
    assert main(["design", str(cfg), "--output", str(tmp_path / "d")]) == 0
    assert (tmp_path / "d" / "design.csv").exists()
    assert main(["cards", str(cfg), "--output", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "survey.csv").exists()
    capsys.readouterr()
    assert main(["run", str(cfg), "--output", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "sample_size.csv").exists()
    assert main(["fit", str(cfg), "--output", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err
    assert "`dce run` (design, cards, survey table, sample size)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("output", [".", "..", "data"])
def test_force_never_replaces_the_folder_of_the_config_or_its_data(tmp_path, monkeypatch,
                                                                   capsys, output):
    """An output folder holding the config or a data file it reads is refused even with
    --force (replacing it deleted the config and the survey export), before any work."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "demo"]) == 0
    cfg = tmp_path / "demo" / "demo.yaml"
    cfg.write_text(cfg.read_text().replace("output: results ", f"output: {output} "),
                   encoding="utf-8")
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    capsys.readouterr()
    for command in ("run", "fit"):
        assert main([command, str(cfg), "--force"]) == 2
        err = capsys.readouterr().err
        assert "which this run reads" in err and "Traceback" not in err, err
        assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == files


def test_a_run_never_replaces_another_studys_folder(tmp_path, capsys):
    """`dce fit` of one study into the run folder of another stops before any work,
    naming both studies and --force, and leaves the folder as it was (a mistyped --output
    deleted the other study's results); the same study, or --force, replaces it."""
    from tests.conftest import SMALL

    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(SMALL, encoding="utf-8")
    name = next(line for line in SMALL.splitlines() if line.startswith("name:"))
    second.write_text(SMALL.replace(name, "name: another_study"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["fit", str(first), "--output", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main(["fit", str(second), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "results of another study" in err and "'another_study'" in err, err
    assert "--force" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert main(["fit", str(first), "--output", str(out)]) == 0  # the same study: fine
    assert main(["fit", str(second), "--output", str(out), "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["run"] == "another_study"


def test_a_stage_command_never_replaces_another_commands_folder(tmp_path, capsys):
    """`dce design` (or cards, simulate) into a folder written by `dce run` stops, naming
    --output and --force, and leaves the run folder as it was; --force replaces it."""
    from tests.conftest import SMALL

    cfg = tmp_path / "small.yaml"
    cfg.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    before = sorted(p.name for p in out.iterdir())
    for command in ("design", "cards", "simulate"):
        capsys.readouterr()
        assert main([command, str(cfg), "--output", str(out)]) == 2
        err = capsys.readouterr().err
        assert "holds the output of `dce run`" in err and "--force" in err, err
        assert sorted(p.name for p in out.iterdir()) == before
    assert main(["run", str(cfg), "--output", str(out)]) == 0  # the same command: fine
    assert main(["design", str(cfg), "--output", str(out), "--force"]) == 0
    assert not (out / "report.html").exists()


def test_a_reader_that_stops_reading_is_not_an_internal_error(tmp_path, monkeypatch):
    """`dce validate ... | head -1` (user trial): the pipe closes before dce prints; the exit
    status is 141 (128 + SIGPIPE) and stderr holds no 'internal error' and no traceback."""
    import subprocess
    import sys

    from dce.cli import main as cli_main

    monkeypatch.chdir(tmp_path)
    assert cli_main(["init", "st"]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "dce", "validate", "st/st.yaml"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before dce writes
    err = proc.stderr.read().decode()
    assert proc.wait() == 141, err
    assert "internal error" not in err and "Traceback" not in err and "Exception" not in err
