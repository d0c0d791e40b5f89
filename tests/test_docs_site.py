"""The docs site (mkdocs.yml, docs/) stays whole: every tutorial notebook is in the nav and
committed without outputs, every public name of ``dce`` is in the API reference, every page
is reachable, and the hook that renders executed notebooks into pages keeps their outputs.

The site itself is built, and the notebooks executed, by ``bash .ci/docs``.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

import dce

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = DOCS / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))


def _nav_pages(node) -> list[str]:
    """Every page path of a mkdocs nav (nested lists of {title: path or list})."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [p for item in node for p in _nav_pages(item)]
    if isinstance(node, dict):
        return [p for value in node.values() for p in _nav_pages(value)]
    return []


NAV = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])


def test_there_are_tutorials():
    assert len(NOTEBOOKS) >= 5


def test_every_notebook_is_in_the_nav_and_every_tutorial_page_has_a_notebook():
    notebooks = {f"tutorials/{p.stem}.md" for p in NOTEBOOKS}
    in_nav = {p for p in NAV if p.startswith("tutorials/")}
    assert notebooks - in_nav == set(), "notebooks missing from the nav of mkdocs.yml"
    assert in_nav - notebooks == set(), "tutorial pages in the nav without a notebook"


def test_every_page_is_in_the_nav_and_every_nav_page_exists():
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    written = {p for p in NAV if not p.startswith("tutorials/")}
    assert pages - set(NAV) == set(), "pages of docs/ missing from the nav"
    assert written - pages == set(), "nav entries without a page"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name}: cell {i} has outputs"
        assert cell.get("execution_count") is None, f"{path.name}: cell {i} was executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_checks_its_numbers(path):
    """Each tutorial ends with a cell that raises when its numbers are not the expected
    ones (the committed showcase, or a known truth)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert any("raise AssertionError" in src for src in code), path.name
    assert not any(re.search(r"^\s*(%|!)", src, re.M) for src in code), (
        f"{path.name}: IPython magics or shell escapes do not run as plain Python")


def test_every_public_name_is_in_the_api_reference():
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"^::: (\S+)\n    options:\n      heading: (\S+)$", text, re.M))
    public = [n for n in dce.__all__ if n != "__version__"]
    for name in public:
        target = f"{dce._EXPORTS[name]}.{name}"
        assert blocks.get(target) == f"dce.{name}", f"dce.{name} ({target}) is not in reference.md"


def test_the_built_site_is_not_committed():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "site/" in ignored


def _hook():
    spec = importlib.util.spec_from_file_location("docs_notebooks", ROOT / ".ci" / "docs_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hook_renders_every_kind_of_output():
    nbformat = pytest.importorskip("nbformat")
    v4 = nbformat.v4
    cell = v4.new_code_cell("print('hi')\nframe")
    cell.outputs = [
        v4.new_output("stream", name="stdout", text="hi\n"),
        v4.new_output("execute_result", data={"text/html": "<table>\n\n<tr><td>1</td></tr></table>",
                                               "text/plain": "   a\n0  1"}),
        v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=\n"}),
        v4.new_output("error", ename="E", evalue="x", traceback=["\x1b[31mTraceback\x1b[0m"]),
    ]
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Title"), cell])
    page = _hook().to_markdown(nb, "demo", executed=True)
    assert page.startswith("# Title\n")
    assert "[`docs/tutorials/demo.ipynb`](demo.ipynb), executed" in page
    assert "```python\nprint('hi')\nframe\n```" in page
    assert "```text\nhi\n```" in page
    assert "<table>\n<tr><td>1</td></tr></table>" in page          # no blank line inside
    assert "   a\n0  1" not in page                                   # HTML preferred to text
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page
    assert "\x1b" not in page and "Traceback" in page


def test_the_hook_shows_sphinx_roles_as_code():
    html = ("see :func:<code>dce.analyse</code> and :class:<code>~dce.models.fitted.ModelResult"
            "</code>; <code>:func:</code> alone stays")
    out = _hook().on_page_content(html, None, None, None)
    assert out == ("see <code>dce.analyse</code> and <code>ModelResult</code>; "
                   "<code>:func:</code> alone stays")


def test_the_reference_shows_each_parameters_own_default():
    """griffe gives every name of ``a, b : str`` the first one's default; the extension in
    mkdocs.yml takes each default from the signature."""
    griffe = pytest.importorskip("griffe")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    options = config["plugins"][1]["mkdocstrings"]["handlers"]["python"]["options"]
    extension = options["extensions"][0]
    loader = griffe.GriffeLoader(extensions=griffe.load_extensions(str(ROOT / extension)),
                                 search_paths=[str(ROOT)], docstring_parser=griffe.Parser("numpy"))
    clogit = loader.load("dce.models.api")["clogit"]
    section = next(s for s in clogit.docstring.parsed
                   if s.kind is griffe.DocstringSectionKind.parameters)
    defaults = {p.name: p.value for p in section.value}
    assert defaults["choice"] == "'chosen'"
    assert defaults["respondent"] == "'respondent'"
    assert defaults["alternative"] == "'alternative'"
