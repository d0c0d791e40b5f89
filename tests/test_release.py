"""Release files agree with each other and with ``dce.__version__``.

- ``CITATION.cff`` is valid against the Citation File Format 1.2.0 JSON Schema (vendored in
  tests/release/, source and checksum in its README.md) and names the version and the
  licence of the package and the references of the report's methods.
- ``CHANGELOG.md`` follows Keep a Changelog: an Unreleased section first, then dated
  versions newest first, the newest being ``dce.__version__`` (the rule is stated at the top
  of CHANGELOG.md).
- ``LICENSE`` is the MIT licence that setup.cfg declares.
- ``dce --version`` prints ``dce.__version__`` and a run's manifest.json records it.
"""

from __future__ import annotations

import ast
import configparser
import copy
import functools
import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import jsonschema
import pytest
import yaml

import dce
from dce.cli import main

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "tests" / "release" / "cff-schema-1.2.0.json"
SCHEMA_SHA256 = "0b8d22140da702d766df318dcff3a91af2f39521298dcf36d76315fd99cc169b"
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


@pytest.fixture(scope="module")
def citation() -> dict:
    return yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "vendored schema was changed"
    schema = json.loads(raw)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema,
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    return cfg


def test_citation_is_valid_cff_1_2_0(citation, validator):
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(citation)]
    assert errors == []
    assert citation["cff-version"] == "1.2.0"


@pytest.mark.parametrize("change", ["no authors", "version as list", "unknown key",
                                    "reference without type"])
def test_schema_rejects_broken_citations(citation, validator, change):
    """The validation above can fail: the schema refuses typical slips."""
    broken = copy.deepcopy(citation)
    if change == "no authors":
        del broken["authors"]
    elif change == "version as list":
        broken["version"] = [dce.__version__]
    elif change == "unknown key":
        broken["repository_code"] = "somewhere"
    else:
        del broken["references"][0]["type"]
    assert list(validator.iter_errors(broken))


def test_citation_names_this_package(citation, setup_cfg):
    assert citation["version"] == dce.__version__
    assert citation["license"] == setup_cfg["metadata"]["license"] == "MIT"
    assert citation["authors"] == [{"name": "dce contributors"}]
    assert citation["type"] == "software"


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _first_authors(text: str) -> set[tuple[str, int]]:
    """(first author's surname, year) of every 'Surname AB, ... (YYYY)' citation."""
    found = re.findall(r"\b([A-Z][A-Za-z'-]+) [A-Z]{1,3}\b[^()]*?\((\d{4})\)", text)
    return {(_plain(name), int(year)) for name, year in found}


def test_citation_references_what_the_report_cites(citation):
    """Every reference listed in docs/report.md and in the README's methods list (first
    author, year) is in CITATION.cff, and so are the methods the models and designs rest
    on."""
    cited = {(_plain(r["authors"][0]["family-names"]), r["year"])
             for r in citation["references"]}
    listed = (REPO / "docs" / "report.md").read_text(encoding="utf-8").split("## References")[1]
    in_docs = _first_authors(listed)
    assert len(in_docs) >= 5
    in_readme = _first_authors((REPO / "README.md").read_text(encoding="utf-8"))
    assert {("McFadden", 1974), ("Bech", 2005)} <= in_readme
    assert in_readme <= cited, sorted(in_readme - cited)
    methods = {("McFadden", 1974), ("Train", 2009), ("Louviere", 2015), ("Swait", 1993),
               ("Revelt", 1998), ("Huber", 1996), ("Street", 2007), ("Krinsky", 1986),
               ("Rose", 2013), ("Johnson", 2003)}  # the last two: design_report.md
    assert in_docs | methods <= cited, sorted((in_docs | methods) - cited)


def _changelog_versions() -> tuple[list[str], list[tuple[str, str]]]:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    dated = []
    for h in headings[1:]:
        m = re.fullmatch(r"\[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})", h)
        assert m, f"CHANGELOG heading {h!r} is not '[X.Y.Z] - YYYY-MM-DD'"
        dated.append((m[1], m[2]))
    return headings, dated


def test_changelog_latest_release_is_the_package_version():
    headings, dated = _changelog_versions()
    assert headings[0] == "[Unreleased]"
    assert dated, "no released version in CHANGELOG.md"
    assert dated[0][0] == dce.__version__
    order = [tuple(int(x) for x in v.split(".")) for v, _ in dated]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    assert [d for _, d in dated] == sorted((d for _, d in dated), reverse=True)


def test_changelog_sections_are_keep_a_changelog():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    blocks = re.split(r"^## ", text, flags=re.M)[1:]
    for block in blocks:
        title = block.splitlines()[0]
        subs = re.findall(r"^### (.+)$", block, flags=re.M)
        assert subs, f"{title}: no Added/Changed/Fixed section"
        assert set(subs) <= SECTIONS, f"{title}: {set(subs) - SECTIONS}"
        for part in re.split(r"^### .+$", block, flags=re.M)[1:]:
            assert re.search(r"^- \S", part, flags=re.M), f"{title}: an empty section"


def test_license_is_mit_as_declared(setup_cfg):
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} dce contributors$", text, flags=re.M)
    assert "Permission is hereby granted, free of charge" in text
    assert setup_cfg["metadata"]["license"] == "MIT"


def test_one_source_of_the_version(setup_cfg):
    assert setup_cfg["metadata"]["version"].strip() == "attr: dce.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", dce.__version__)
    data = setup_cfg["options.package_data"]["dce"]
    assert "py.typed" in [p.strip() for p in data.split(",")]
    assert (REPO / "dce" / "py.typed").is_file()


def test_dce_version_command_prints_the_version():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "dce", "--version"], capture_output=True,
                         text=True, env=env, check=True, cwd=REPO).stdout
    assert out.strip() == f"dce {dce.__version__}"


def test_manifest_records_the_version(tmp_path, capsys):
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("schema_version: 1\nname: plan\nseed: 1\nattributes:\n"
                   "  a: {levels: [x, y, z]}\n  b: {levels: [p, q]}\n"
                   "design: {method: random, alternatives: 2, tasks: 6, blocks: 1}\n",
                   encoding="utf-8")
    assert main(["design", str(cfg), "--output", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "dce" and manifest["version"] == dce.__version__


def test_type_checkers_see_every_public_name():
    """The TYPE_CHECKING imports of dce/__init__.py name exactly the lazily loaded
    exports, from the same modules (so mypy sees the real types of dce.clogit etc.)."""
    tree = ast.parse((REPO / "dce" / "__init__.py").read_text(encoding="utf-8"))
    typed = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                for alias in imp.names:
                    assert alias.asname == alias.name  # explicit re-export
                    typed[alias.name] = imp.module
    assert typed == dce._EXPORTS


def _unannotated(fn, qualname: str) -> list[str]:
    sig = inspect.signature(fn)
    out = [f"{qualname}({p.name})" for p in sig.parameters.values()
           if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if fn.__name__ != "__init__" and sig.return_annotation is inspect.Signature.empty:
        out.append(f"{qualname} -> ?")
    return out


def test_every_public_callable_is_annotated():
    """Every function of dce.__all__ and every public method, property, classmethod and
    constructor its classes define carries type hints on all parameters and the return
    (mypy checks the API modules strictly; the classes live in modules it does not check)."""
    missing = []
    for name in dce.__all__:
        obj = getattr(dce, name)
        if inspect.isclass(obj):
            for key, member in vars(obj).items():
                if key.startswith("_") and key != "__init__":
                    continue
                if isinstance(member, (classmethod, staticmethod)):
                    member = member.__func__
                elif isinstance(member, property):
                    member = member.fget
                elif isinstance(member, functools.cached_property):
                    member = member.func
                if inspect.isfunction(member) and member.__module__.startswith("dce"):
                    missing += _unannotated(member, f"{name}.{key}")
        elif inspect.isfunction(obj):
            missing += _unannotated(obj, name)
    assert missing == []
    assert len([n for n in dce.__all__ if inspect.isfunction(getattr(dce, n))]) >= 12
