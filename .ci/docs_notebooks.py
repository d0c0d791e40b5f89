"""The tutorial notebooks of docs/tutorials: executed by CI, rendered into the docs site.

Two uses, both offline and with no package beyond nbclient / nbformat / mkdocs:

``python .ci/docs_notebooks.py OUTDIR``
    Executes every ``docs/tutorials/*.ipynb`` with nbclient (the ``python3`` kernel, working
    folder docs/tutorials, as a reader who opens the notebook there), writes the executed
    copies to OUTDIR and prints the seconds each took. Exit status 1 if any cell raises or a
    notebook runs longer than ``--timeout`` seconds; every notebook is still tried.

mkdocs hook (``hooks:`` in mkdocs.yml)
    For every ``tutorials/NAME.ipynb`` the site gains a page ``tutorials/NAME.md``: the
    notebook's Markdown cells, its code cells and, when ``$DCE_EXECUTED_NOTEBOOKS`` names
    the OUTDIR of the step above, their outputs (text, tables, figures embedded as data
    URIs). Without that variable the page shows the code without outputs, so a plain
    ``mkdocs build --strict`` also works. The notebook itself is kept as a download.
    The hook also shows the Sphinx roles of docstrings (``:func:`x```) in the API reference
    as plain code.
"""

from __future__ import annotations

import base64
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ROLE = re.compile(r":(?:func|meth|class|mod|attr|data|exc|obj):<code>(~?)([^<]*)</code>")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _fence(body: str, lang: str = "text") -> str:
    body = body.rstrip("\n")
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return f"{ticks}{lang}\n{body}\n{ticks}\n"


def _output(out) -> str:
    """One cell output as Markdown (raw HTML for tables and figures)."""
    kind = out.get("output_type")
    if kind == "stream":
        return _fence(ANSI.sub("", _text(out.get("text", ""))))
    if kind == "error":
        return _fence(ANSI.sub("", "\n".join(out.get("traceback", []))))
    data = out.get("data", {})
    if "image/png" in data:
        png = _text(data["image/png"]).replace("\n", "")
        return f'<p><img alt="figure" src="data:image/png;base64,{png}"></p>\n'
    if "image/svg+xml" in data:
        svg = base64.b64encode(_text(data["image/svg+xml"]).encode()).decode()
        return f'<p><img alt="figure" src="data:image/svg+xml;base64,{svg}"></p>\n'
    if "text/html" in data:
        # a raw HTML block ends at a blank line: drop blank lines inside the HTML
        body = "\n".join(line for line in _text(data["text/html"]).splitlines() if line.strip())
        return f'<div class="nb-output" markdown="0">\n{body}\n</div>\n'
    if "text/markdown" in data:
        return _text(data["text/markdown"]) + "\n"
    if "text/plain" in data:
        return _fence(_text(data["text/plain"]))
    return ""


def to_markdown(nb, name: str, executed: bool) -> str:
    """A notebook (nbformat node) as a Markdown page."""
    note = ("This page is the notebook "
            f"[`docs/tutorials/{name}.ipynb`]({name}.ipynb)"
            + (", executed when this site was built." if executed else
               " (shown without outputs: run `bash .ci/docs` to build the site with them)."))
    parts = []
    for i, cell in enumerate(nb.cells):
        src = _text(cell.source)
        if cell.cell_type == "markdown":
            parts.append(src + "\n")
            if i == 0:
                parts.append(f'!!! note "Run it yourself"\n    {note}\n')
        elif cell.cell_type == "code" and src.strip():
            parts.append(_fence(src, "python"))
            parts.extend(_output(o) for o in cell.get("outputs", []))
    return "\n".join(parts)


# ---------------------------------------------------------------- mkdocs hook


def on_files(files, config):
    """Add a generated page tutorials/NAME.md for every tutorials/NAME.ipynb."""
    import nbformat
    from mkdocs.structure.files import File

    executed_dir = os.environ.get("DCE_EXECUTED_NOTEBOOKS")
    docs_dir = Path(config["docs_dir"])
    for path in sorted((docs_dir / "tutorials").glob("*.ipynb")):
        source = path
        if executed_dir and (Path(executed_dir) / path.name).exists():
            source = Path(executed_dir) / path.name
        nb = nbformat.read(source, as_version=4)
        page = to_markdown(nb, path.stem, source != path)
        files.append(File.generated(config, f"tutorials/{path.stem}.md", content=page))
    return files


def on_page_content(html_text, page, config, files):
    """``:func:`dce.analyse``` of a docstring, rendered as ``:func:<code>...``, as code."""
    return ROLE.sub(lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}"
                    "</code>", html_text)


# ---------------------------------------------------------------- runner


def execute(outdir: Path, timeout: int) -> int:
    """Execute every tutorial into ``outdir``, print seconds each; 1 if any failed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    outdir.mkdir(parents=True, exist_ok=True)
    failed = []
    total = time.perf_counter()
    for path in sorted(TUTORIALS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(TUTORIALS)}})
        start = time.perf_counter()
        try:
            client.execute()
        except (CellExecutionError, TimeoutError, RuntimeError) as exc:
            failed.append(path.name)
            first = str(exc).strip().splitlines()
            print(f"FAILED {path.name}: {ANSI.sub('', first[-1] if first else repr(exc))}",
                  flush=True)
        seconds = time.perf_counter() - start
        nbformat.write(nb, outdir / path.name)
        print(f"{seconds:7.1f} s  {path.relative_to(ROOT)}", flush=True)
    print(f"{time.perf_counter() - total:7.1f} s  all notebooks", flush=True)
    if failed:
        print(f"error: {len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="folder for the executed notebooks")
    parser.add_argument("--timeout", type=int, default=120,
                        help="seconds allowed per cell (default 120)")
    args = parser.parse_args()
    sys.exit(execute(args.outdir, args.timeout))
