"""Command line: thin commands over the pipeline.

User mistakes (DceError) print ``error: <file>:<line>: <key>: <message>`` lines on stderr
and exit with status 2; internal errors exit 1 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

EXAMPLES = {
    "init": ["dce init my_study                # writes my_study/my_study.yaml and "
             "data/choices.csv",
             "dce run my_study/my_study.yaml    # runs as written"],
    "run": ["dce run configs/peer_support.yaml",
            "dce run configs/peer_support.yaml --output /tmp/ps --jobs 2"],
    "validate": ["dce validate configs/peer_support.yaml"],
    "design": ["dce design configs/peer_support.yaml   # writes results/peer_support-design/"],
    "simulate": ["dce simulate configs/peer_support.yaml # writes results/peer_support-simulate/"],
    "fit": ["dce fit my_study/my_study.yaml"],
    "report": ["dce report results/peer_support      # rewrites report.html, report.md, "
               "figures/, results.xlsx"],
    "schema": ["dce schema > dce-config.schema.json",
               "# then, first line of a config:  # yaml-language-server: "
               "$schema=dce-config.schema.json"],
    "power": ["dce power configs/peer_support.yaml --jobs 2   # writes results/peer_support-power/"],
    "cards": ["dce cards configs/peer_support.yaml   # writes results/peer_support-cards/"],
}
GETTING_STARTED = """getting started:
  dce init my_study                  # a commented starter config and example data
  dce run my_study/my_study.yaml     # models, importance by group, report.html
  dce run configs/peer_support.yaml  # the peer-support showcase
  dce report results/peer_support    # rebuild the report of a run folder
  dce schema > dce-config.schema.json  # let an editor complete and check config keys

Each command has its own help with an example: dce COMMAND --help"""


def _examples(name: str) -> str:
    return "example" + ("s" if len(EXAMPLES[name]) > 1 else "") + ":\n" + "\n".join(
        "  " + line for line in EXAMPLES[name])


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"error: arguments: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every ``dce`` command, with examples in each --help."""
    from dce import __version__

    p = _Parser(prog="dce", description="Discrete-choice experiments: design, fit, rank "
                "attributes by group, compare groups.",
                epilog=GETTING_STARTED,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"dce {__version__}")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    helps = {"init": "start a new study: a commented config and example data that run",
             "run": "design, responses, models, importance, comparison and report",
             "validate": "check a config (and its data) without writing anything",
             "design": "write the design and its diagnostics",
             "simulate": "write simulated responses from `simulate:`",
             "fit": "estimates and model statistics (and importance)",
             "report": "(re)build report.html / report.md from a run folder",
             "schema": "print the JSON Schema of the config format",
             "power": "simulate studies of several sizes and report power (needs `power:`)",
             "cards": "printable choice cards (HTML, Markdown) and a survey-platform CSV"}
    for name, text in helps.items():
        sp = sub.add_parser(name, help=text, description=text,
                            epilog=_examples(name),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("--debug", action="store_true", help="show Python tracebacks")
        if name == "report":
            sp.add_argument("run_dir", metavar="RUN_DIR")
            sp.add_argument("--force", action="store_true", help="build the report even "
                            "when the folder's files differ from the hashes in its "
                            "manifest.json (edited after the run) or it has no manifest; "
                            "the report then says so at its top")
        elif name == "init":
            sp.add_argument("name", metavar="NAME", help="study name: the folder and config "
                            "file to create (letters, digits, _ and -)")
        elif name != "schema":
            sp.add_argument("config", metavar="CONFIG")
        if name in ("run", "design", "simulate", "fit", "power", "cards"):
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


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep large freed blocks for reuse instead of returning each
    to the system (``mallopt`` ``M_MMAP_THRESHOLD`` 1 GiB, ``M_TRIM_THRESHOLD`` 2 GiB).

    A run on a million choice sets allocates and frees many arrays of tens of MB; by
    default each is a fresh ``mmap`` whose pages the kernel zeroes on first touch, which
    took a third of the wall time (benchmarks/bench_pipeline.py; peak memory within 2%).
    A no-op where the C library has no ``mallopt`` (macOS, Windows, musl's stub).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD


def entry() -> None:
    """The ``dce`` process (console script and ``python -m dce``): :func:`main`, then exit.

    Before exiting, the objects still alive are moved out of the garbage collector's reach
    (``gc.freeze``): the interpreter's last collection would otherwise walk every object
    the imports made (pandas, scipy, pydantic) only to free memory the operating system
    takes back anyway, 0.2 s of every command. Python does not promise finalizers of
    objects alive at exit in any case; files are closed by then.
    """
    status = main()
    import gc

    gc.freeze()
    sys.exit(status)


def quiet_stdout() -> None:
    """Point standard output at the null device, so that Python's flush at exit does not
    fail again on a pipe whose reader has gone (Python docs, "Note on SIGPIPE")."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (e.g. a notebook's stream)
        pass


def main(argv=None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input, 1 internal
    error, 130 interrupted). A user mistake prints one ``error: ...`` line per
    problem and no traceback (unless --debug)."""
    from dce.errors import DceError

    if argv is None:  # the `dce` process itself (not a call from Python)
        keep_freed_memory()
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
    except BrokenPipeError:  # e.g. `dce run ... | head -1`: the reader stopped reading
        quiet_stdout()
        return 141  # 128 + SIGPIPE, as a Unix tool whose output pipe closed
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
    if path[:1] not in study.lines:  # a key the file does not write (a default): no line
        return replace(problem, file=study.display_name)
    return replace(problem, file=study.display_name, line=study.line(*path))


def _dispatch(args, context: dict) -> int:
    from dce.config.study import load_config

    if args.command == "schema":
        from dce.config.schema import config_schema

        print(json.dumps(config_schema(), indent=2))
        return 0
    if args.command == "init":
        return _init(args.name)
    if args.command == "report":
        return _report(args.run_dir, args.force)
    # these commands also work before any data exists (run: design, cards, sample size)
    design_only = args.command in ("validate", "design", "cards", "run", "power")
    study = load_config(args.config, need_responses=not design_only)
    context["study"] = study
    if args.command == "validate":
        return _validate(study)
    from dce.run.design_run import execute_design_run, has_responses

    if args.command == "run" and not has_responses(study):
        out, run = execute_design_run(study, args.output, args.force, jobs=args.jobs,
                                      backend_name=args.backend, scheduler=args.scheduler)
        for note in run.notes:
            print(f"warning: {note}", file=sys.stderr)
        _summary(out, run)
        return 0
    if args.command == "cards":
        from dce.run.runner import execute_cards

        out = execute_cards(study, args.output, args.force)
        print(f"run folder: {out}\ncards: {out / 'cards'}\nsurvey table: {out / 'survey.csv'}")
        return 0
    if args.command == "power":
        from dce.run.runner import execute_power

        out, table = execute_power(study, args.output, args.force, jobs=args.jobs,
                                   backend_name=args.backend, scheduler=args.scheduler)
        print(f"run folder: {out}\npower table: {out / 'power.csv'}\n"
              + power_summary(study, table))
        return 0
    from dce.run.runner import execute, output_dir

    if args.command == "simulate" and study.spec.simulate is None:
        from dce.errors import ConfigError

        raise ConfigError("`dce simulate` needs a `simulate:` section (groups with respondents "
                          "and utilities); this config reads its responses from "
                          "choices.file: use `dce fit` or `dce run`",
                          file=study.display_name, key="simulate")
    replaced = args.command == "fit" and (output_dir(study, args.output, "run")
                                          / "report.html").exists()
    stage = {"run": "run", "design": "design", "simulate": "simulate", "fit": "run"}[args.command]
    out, run = execute(study, stage, args.output, args.force,
                       jobs=getattr(args, "jobs", None),
                       backend_name=getattr(args, "backend", None),
                       scheduler=getattr(args, "scheduler", None),
                       report=args.command != "fit")
    for note in run.notes:
        print(f"warning: {note}", file=sys.stderr)
    if replaced:  # the folder of a `dce run` had a report; `dce fit` writes none
        print(f"warning: the previous report.html, figures/ and results.xlsx of {out} were "
              f"replaced with the old run folder; `dce report {out}` builds them for these "
              "results", file=sys.stderr)
    _summary(out, run, args.command)
    return 0


def _validate(study) -> int:
    from dce import design as design_mod
    from dce.data import choices as data
    from dce.design.validity import fielded_by_dce

    spec = study.spec
    if spec.type != "dce":  # best-worst and ranking studies
        from dce.run.items import validate

        with warnings.catch_warnings(record=True) as caught:  # e.g. unanswered sets
            warnings.simplefilter("always")
            validate(study)
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
        print(f"{study.display_name}: ok\n" + validate_summary(study, None))
        return 0
    d = None
    wide = spec.choices is not None and spec.choices.format in ("wide", "qualtrics")
    if spec.design is not None and (spec.simulate is not None or spec.design.file or wide
                                    or fielded_by_dce(spec.design)):  # marks, order shown
        d = design_mod.build(study)
    summary = None
    if spec.choices is not None:
        with warnings.catch_warnings(record=True) as caught:  # e.g. missing answers dropped
            warnings.simplefilter("always")
            summary = data.load(study, d)[1]
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
    print(f"{study.display_name}: ok\n" + validate_summary(study, d, summary))
    return 0


def _wrap(words: list[str]) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(" ".join(words), 88, break_on_hyphens=False,
                                    break_long_words=False))


def validate_summary(study, design, summary: dict | None = None) -> str:
    """One paragraph after `dce validate`: what the config describes and what comes next
    (with the data's ``summary``, as from :func:`dce.data.choices.load`: the respondents
    of each group, so that a misspelt group shows as a group of its own)."""
    from dce.config.checks import design_generated
    from dce.run.design_run import design_sentence

    spec = study.spec
    what = (f"{len(study.attributes)} attributes" if spec.type == "dce" else
            f"{len(spec.items or {})} items ({spec.type})")
    words = [f"{study.name}: {what}."]
    if design is not None:
        words.append(design_sentence(design.diagnostics))
    elif (spec.type == "dce" and spec.design is not None and spec.choices is not None
          and not design_generated(study)):
        words.append("Design: the responses carry the attribute levels, so no design is "
                     "made from `design:`.")
    elif spec.design is not None and spec.design.file:
        words.append(f"Design: read from {spec.design.file}.")
    elif spec.design is not None:
        words.append(f"Design: {spec.design.method or 'from file'}, built by `dce design`.")
    if spec.simulate is not None:
        n = sum(g.respondents for g in spec.simulate.groups.values())
        words.append(f"Responses: simulated, {n:,} respondents in "
                     f"{len(spec.simulate.groups)} group(s).")
    elif spec.choices is not None:
        groups = (summary or {}).get("groups") or {}
        found = ("" if not groups else
                 f": {summary['n_respondents']:,} respondents in {len(groups)} group"
                 + ("s (" + ", ".join(f"{g} {c['n_respondents']:,}" for g, c in groups.items())
                    + ")" if len(groups) > 1 else ""))
        words.append(f"Responses: {spec.choices.file} ({spec.choices.format} format), read "
                     f"and checked{found}.")
    else:
        words.append("No responses yet: `dce run` writes the design, the cards, the survey "
                     "table and the sample-size guidance (`dce design` and `dce cards` write "
                     "parts of it); estimates need `choices:` or `simulate:`.")
    words.append(f"Model: {spec.model.type.replace('_', ' ')}, {spec.model.se} standard "
                 f"errors{', one per ' + spec.model.by if spec.model.by else ''}.")
    return _wrap(words)


def power_summary(study, table) -> str:
    """One paragraph after `dce power`: the smallest sample with power >= 0.8 per group."""
    words = [f"Power of {study.name} at alpha = {study.spec.power.alpha:g} "
             f"({study.spec.power.replications} replications per size)."]
    pw = table[table["measure"] == "power"]
    for g in dict.fromkeys(pw["group"]):
        part = pw[pw["group"] == g]
        weakest = part.groupby("sample_size")["value"].min()
        enough = weakest[weakest >= 0.8]
        largest = part[part["sample_size"] == weakest.index.max()]
        term = largest.loc[largest["value"].idxmin(), "term"]
        words.append(f"{g}: every term detected with power 0.8 from n = {enough.index[0]}."
                     if len(enough) else
                     f"{g}: weakest term {term} below 0.8 up to n = {weakest.index.max()} "
                     f"({weakest.iloc[-1]:.2f}).")
    words.append("Figure: figures/power.png.")
    return _wrap(words)


def _report(run_dir, force: bool = False) -> int:
    from dce.errors import DceError

    path = Path(run_dir)
    if not path.exists():
        raise DceError("no such folder; give the folder `dce run CONFIG` or `dce fit CONFIG` "
                       "wrote (the config's `output`, by default results/<name>)",
                       file=str(run_dir))
    if not path.is_dir():
        raise DceError("not a folder; give the run folder `dce run CONFIG` or `dce fit "
                       "CONFIG` wrote, not a file in it", file=str(run_dir))
    from dce.run.runner import rebuild_report

    rebuild_report(path, force=force)
    print(f"report written: {path / 'report.html'} (and results.xlsx)")
    return 0


def _init(name: str) -> int:
    from dce.config.template import create

    config = create(name)
    rel = Path(name) / config.name
    print(f"created {rel}, {Path(name) / 'data' / 'choices.csv'} (example answers) and "
          f"{Path(name) / 'dce-config.schema.json'} (for your editor)\n"
          f"next: dce run {rel}    then open {Path(name) / 'results' / 'report.html'}")
    return 0


def _summary(out, run, command: str = "run") -> None:
    """The run folder, then one paragraph: what was done, the top attributes per group,
    where the report is."""
    print(f"run folder: {out}\n" + summary_text(out, run, command))


def summary_text(out, run, command: str | None = None) -> str:
    """The closing paragraph of a command (``dce <command>``; default: the run's stage):
    what was done, the top attributes per group and where the report is."""
    import textwrap

    from dce.report.labels import Labels
    from dce.report.text import and_list
    from dce.run.design_run import design_sentence

    study = run.study
    words = [f"Finished {study.name} (dce {command or run.stage})."]
    design_only = run.responses is None and not run.fits
    if run.design is not None and (run.stage == "design" or design_only):
        words.append(design_sentence(run.design.diagnostics))
    if design_only and run.stage == "run":
        words.append("No responses exist yet: the folder holds the design, survey.csv, the "
                     "cards and the sample-size guidance (design_report.md, "
                     "sample_size.csv). Before fielding, copy design.csv to design.file"
                     + (" and fielding_order.csv to design.randomize.file"
                        if study.spec.design is not None and study.spec.design.randomize
                        else "")
                     + "; then field the survey, add `choices:` to the config and run again.")
    if run.responses is not None:
        n = run.responses["respondent"].nunique()
        k = run.responses["group"].nunique()
        words.append(f"{n:,} respondents in {k} group{'s' if k != 1 else ''}"
                     + (" (simulated)." if run.simulated else "."))
    checks = (run.data_summary or {}).get("data_quality")
    if checks:
        failed = checks["total"]["failed"]
        opted = checks["total"].get("always_opt_out", 0)
        chance = (checks.get("chance_inconsistent_repeat") or {}).get("total")
        seen, differ = (checks["total"].get("with_repeated_task", 0),
                        checks["total"].get("inconsistent_repeat", 0))
        words.append(f"{failed:,} failed a data-quality check"
                     + (f" ({differ:,} of the {seen:,} who saw a repeated task answered it "
                        f"differently, where the model expects {100 * chance:.0f}% to do so "
                        "by chance alone)" if chance is not None and seen else "")
                     + (f" and {checks['excluded']} were excluded" if checks["excluded"]
                        else "")
                     + (f"; {opted} always chose the opt-out." if opted else "."))
    if run.fits:
        bad = [r.group for r in run.fits if not r.converged]
        sel = run.tables.get("class_selection")
        ok = (None if sel is None else
              sel["converged"].astype(str).str.lower().isin(["true", "1", "1.0"]))
        every = ", all converged." if ok is None or ok.all() else \
            ", the reported models all converged."
        words.append(f"{len(run.fits)} model{'s' if len(run.fits) != 1 else ''} fitted"
                     + (f"; NOT converged: {', '.join(bad)}." if bad else every))
        if ok is not None and not ok.all():
            off = sel[~ok]
            words.append("Latent class models NOT converged: " + ", ".join(
                f"{g} with {int(c)} classes" for g, c in zip(off["group"], off["classes"]))
                + (" (one of them the reported model)." if off["chosen"].astype(str).str.lower()
                   .isin(["true", "1", "1.0"]).any()
                   else " (none of them the reported model; see class_selection.csv)."))
    if run.importance is not None:
        t = run.importance.table
        labels = Labels(study.spec.model_dump(mode="json"), list(dict.fromkeys(t["group"])))
        parts = []
        separated = {r.group for r in run.fits if getattr(r, "separation", None) is not None}
        for g in dict.fromkeys(t["group"]):
            if g in separated:  # its shares and ranks mean nothing (on_separation: warn)
                parts.append(f"{labels.group(g)}: not estimable (separated)")
                continue
            top = t[t["group"] == g].sort_values("rank")["attribute"].head(3).tolist()
            parts.append(f"{labels.group(g)}: " + and_list(
                [labels.attribute_lower(a) for a in top]))
        what = "items" if labels.is_items else "attributes"
        words.append(f"Most important {what} - " + "; ".join(parts) + ".")
    if run.notes:
        words.append(f"{len(run.notes)} warning{'s' if len(run.notes) != 1 else ''} (above, "
                     "and in warnings.txt).")
    if run.fits and command == "fit":  # the tables only: the report is one command away
        words.append(f"Tables written; for report.html and results.xlsx run: dce report {out}")
    elif run.fits:
        words.append(f"Report: {Path(out) / 'report.html'}")
    return "\n".join(textwrap.wrap(" ".join(words), 88, break_on_hyphens=False,
                                    break_long_words=False))
