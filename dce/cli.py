"""Command line: thin commands over the pipeline.

User mistakes (DceError) print ``error: <file>:<line>: <key>: <message>`` lines on stderr
and exit with status 2; internal errors exit 1 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXAMPLES = {
    "run": "dce run configs/peer_support.yaml",
    "validate": "dce validate configs/peer_support.yaml",
    "design": "dce design configs/peer_support.yaml --output results/design_only",
    "simulate": "dce simulate configs/peer_support.yaml",
    "fit": "dce fit configs/my_survey.yaml",
    "report": "dce report results/peer_support",
    "schema": "dce schema > dce-config.schema.json",
    "power": "dce power configs/peer_support.yaml --jobs 2 --output results/power",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"error: arguments: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from dce import __version__

    p = _Parser(prog="dce", description="Discrete-choice experiments: design, fit, rank "
                "attributes by group, compare groups.",
                epilog="example:\n  " + EXAMPLES["run"],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"dce {__version__}")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    helps = {"run": "design, responses, models, importance, comparison and report",
             "validate": "check a config (and its data) without writing anything",
             "design": "write the design and its diagnostics",
             "simulate": "write simulated responses from `simulate:`",
             "fit": "estimates and model statistics (and importance)",
             "report": "(re)build report.html / report.md from a run folder",
             "schema": "print the JSON Schema of the config format",
             "power": "simulate studies of several sizes and report power (needs `power:`)"}
    for name, text in helps.items():
        sp = sub.add_parser(name, help=text, description=text,
                            epilog="example:\n  " + EXAMPLES[name],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("--debug", action="store_true", help="show Python tracebacks")
        if name == "report":
            sp.add_argument("run_dir", metavar="RUN_DIR")
        elif name != "schema":
            sp.add_argument("config", metavar="CONFIG")
        if name in ("run", "design", "simulate", "fit", "power"):
            sp.add_argument("--output", metavar="DIR", help="run folder (default: the "
                            "config's `output`, else results/<name>/)")
            sp.add_argument("--force", action="store_true", help="replace an existing folder "
                            "that was not produced by dce")
        if name in ("run", "power"):
            sp.add_argument("--jobs", type=int, default=None, metavar="N",
                            help="parallel workers for bootstrap and power (default: the "
                            "config's parallel.jobs, else 1; -1 = all cores)")
            sp.add_argument("--backend", choices=["local", "dask"], default=None,
                            help="where parallel tasks run (default local processes)")
            sp.add_argument("--scheduler", metavar="ADDRESS",
                            help="dask scheduler address, e.g. tcp://127.0.0.1:8786")
    return p


def main(argv=None) -> int:
    from dce.errors import DceError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    context: dict = {}
    try:
        return _dispatch(args, context)
    except DceError as exc:
        if args.debug:
            raise
        for problem in exc.problems:
            print(_located(problem, context.get("study")).format(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the previous run folder was left as it was", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (please report it; rerun with "
              "--debug for details)", file=sys.stderr)
        return 1


def _located(problem, study):
    """Give a problem that names a config key (``model.by``) the config file and line."""
    if problem.file or not problem.key or study is None:
        return problem
    from dataclasses import replace

    path = tuple(int(p) if p.isdigit() else p
                 for p in problem.key.replace("[", ".").replace("]", "").split("."))
    if path[:1] not in study.lines:
        return problem
    return replace(problem, file=study.display_name, line=study.line(*path))


def _dispatch(args, context: dict) -> int:
    from dce.config import load_config

    if args.command == "schema":
        from dce.config_models import ConfigModel

        print(json.dumps(ConfigModel.model_json_schema(), indent=2))
        return 0
    if args.command == "report":
        return _report(args.run_dir)
    study = load_config(args.config)
    context["study"] = study
    if args.command == "validate":
        return _validate(study)
    if args.command == "power":
        from dce.runner import execute_power

        out, _ = execute_power(study, args.output, args.force, jobs=args.jobs,
                               backend_name=args.backend, scheduler=args.scheduler)
        print(f"run folder: {out}\npower table: {out / 'power.csv'}")
        return 0
    from dce.runner import execute

    stage = {"run": "run", "design": "design", "simulate": "simulate", "fit": "run"}[args.command]
    out, run = execute(study, stage, args.output, args.force,
                       jobs=getattr(args, "jobs", None),
                       backend_name=getattr(args, "backend", None),
                       scheduler=getattr(args, "scheduler", None))
    for note in run.notes:
        print(f"warning: {note}", file=sys.stderr)
    _summary(out, run)
    return 0


def _validate(study) -> int:
    from dce import data
    from dce import design as design_mod

    spec = study.spec
    d = None
    wide = spec.choices is not None and spec.choices.format == "wide"
    if spec.design is not None and (spec.simulate is not None or spec.design.file or wide):
        d = design_mod.build(study)
    if spec.choices is not None:
        data.load(study, d)
    print(f"{study.display_name}: ok")
    return 0


def _report(run_dir) -> int:
    from dce import report
    from dce.errors import DceError

    path = Path(run_dir)
    if not (path / "config.yaml").exists() or not (path / "importance.csv").exists():
        raise DceError("not a complete dce run folder (config.yaml and importance.csv are "
                       "needed); run `dce run CONFIG` first", file=str(run_dir))
    files = report.render(report.read_run(path))
    for name, body in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(target)
    print(f"report written: {path / 'report.html'}")
    return 0


def _summary(out, run) -> None:
    lines = [f"run folder: {out}"]
    if run.importance is not None:
        t = run.importance.table
        for g in dict.fromkeys(t["group"]):
            top = t[t["group"] == g].sort_values("rank")["attribute"].head(3).tolist()
            lines.append(f"  {g}: top attributes {', '.join(top)}")
        lines.append(f"report: {out / 'report.html'}")
    print("\n".join(lines))
