"""`dubstudio batch INPUTS… | --manifest FILE.csv --to es[,fr,…] --out DIR`: dub many files.

Every (file, language) pair is a job whose project folder `DIR/<name>.<language>` holds exactly
what `dubstudio dub` writes. Jobs run on worker processes on this machine (`--workers N`), or on
Ray actors with `--ray` (a local Ray runtime) or `--ray ADDRESS` (a cluster; inputs and DIR on
storage every node mounts at the same path). DIR keeps the batch's state: running the command
again skips finished jobs and resumes the others; `dubstudio batch --out DIR` alone resumes the
queue already there. DIR also gets report.json, report.csv and report.html.

Exit codes: 0 when every job is done; 1 when all are done but validation found contract failures
in some (their outputs are written, for review); 2 when a job failed or the batch could not start
(the reasons are printed, one paragraph each); 130 when cancelled (Ctrl+C; resumable).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.text import Text

from dubstudio.batch.controller import BatchController, format_duration
from dubstudio.cli.dub_cmd import add_job_options, job_request
from dubstudio.core.errors import UserError

EXIT_CONTRACT_FAILED = 1
EXIT_JOB_FAILED = 2
REFRESH_PER_SECOND = 4


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="dub many files into one or more languages (local workers, or Ray)",
        description="Dub every input into every --to language: one project folder per (file, language) "
        "in DIR, exactly as 'dubstudio dub' writes it, plus a report. Resumable: run it again to skip "
        "finished jobs and resume the others.",
    )
    parser.add_argument("inputs", nargs="*", type=Path, metavar="INPUT", help="video or audio files")
    parser.add_argument(
        "--manifest", type=Path, metavar="FILE.csv",
        help="CSV with one row per file: input[,from,to,subtitles,subtitle_language,glossary,voices]",
    )  # fmt: skip
    parser.add_argument("--to", dest="targets", default="", help="dub languages, e.g. es or es,fr")
    parser.add_argument("--out", type=Path, required=True, help="batch folder (projects, state, report)")
    parser.add_argument(
        "--sidecar-subtitles", action="store_true",
        help="use NAME.srt/.vtt/.ass beside each input as its transcript (no recognition)",
    )  # fmt: skip
    add_job_options(parser)
    parser.add_argument(
        "--workers", type=int, help="worker processes or Ray actors (default: fits the machine)"
    )
    parser.add_argument(
        "--ray", nargs="?", const="local", metavar="ADDRESS",
        help="run the jobs on Ray: alone, a local Ray runtime; with ADDRESS (host:6379, ray://…, auto), "
        "an existing cluster",
    )  # fmt: skip
    parser.add_argument("--cpus-per-worker", type=int, help="CPUs each Ray actor reserves (default: fits)")
    parser.add_argument(
        "--attempts", type=int, default=3, help="tries per job when its worker dies (default 3)"
    )
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="run failed jobs again even if their inputs did not change",
    )
    parser.set_defaults(func=run)


def plan(args: argparse.Namespace, names: dict[str, str]):
    """The command's jobs (none: resume what DIR holds)."""
    from dubstudio.batch.jobs import FileEntry, parse_languages, plan_jobs, read_manifest

    entries = [FileEntry(media=path) for path in args.inputs]
    if args.manifest is not None:
        entries += read_manifest(args.manifest)
    if not entries:
        return []
    defaults = job_request(args, Path(), Path(), "", None)
    return plan_jobs(
        entries,
        defaults,
        parse_languages(args.targets),
        args.out,
        names=names,
        sidecars=args.sidecar_subtitles,
    )


def pool_factory(args: argparse.Namespace):
    from dubstudio.batch.pools import LocalPool, default_workers

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers} is not a number of workers", fix="Use 1 or more.")
    if args.ray is not None:
        from dubstudio.batch.ray_pool import RayPool

        return lambda: RayPool(
            args.ray,
            workers=args.workers,
            cpus_per_worker=args.cpus_per_worker,
            use_gpus=args.device != "cpu",
        )
    return lambda: LocalPool(args.workers or default_workers())


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    controller = BatchController(args.out, pool_factory(args), max_attempts=args.attempts)
    controller.add(plan(args, controller.state.names()), retry_failed=args.retry_failed)
    if not controller.jobs:
        raise UserError(
            f"there is nothing to dub: no inputs were given and {args.out} holds no batch",
            fix="Pass input files or --manifest FILE.csv, with --to LANG.",
        )
    if not controller.has_work:
        console.print(_nothing_to_do(controller))
        return _exit_code(controller, console)
    display = LiveDisplay(controller, console)
    controller.subscribe(display.on_event)
    try:
        with Live(display, console=console, refresh_per_second=REFRESH_PER_SECOND, transient=True):
            stats = controller.run()
    finally:
        controller.close()
    where = controller.pool_description or "workers"
    console.print(
        f"Dubbed {stats.media_seconds:.1f} s of media in {stats.wall_seconds:.1f} s "
        f"({stats.finished_jobs} jobs, {_rate(stats.media_seconds, stats.wall_seconds)}) on {where}."
    )
    return _exit_code(controller, console)


def _rate(media: float, wall: float) -> str:
    return f"{media / wall:.2f} s of media per second" if wall > 0 and media > 0 else "no media dubbed"


def _nothing_to_do(controller) -> str:
    counts = controller.state.counts()
    text = f"Nothing to do in {controller.folder}: {counts['done']} jobs already done"
    if counts["failed"]:
        text += (
            f", {counts['failed']} failed earlier with unchanged inputs (fix them and run again, or pass "
            "--retry-failed)"
        )
    return text + "."


def _exit_code(controller, console: Console) -> int:
    from dubstudio.batch.report import REPORT_HTML

    jobs = controller.jobs
    failed = [job for job in jobs if job.status == "failed"]
    contract = [job for job in jobs if job.status == "done" and job.summary.errors]
    for job in failed:
        console.print(Text(f"Failed: {job.name}: {job.reason}", style="red"))
    for job in contract:
        codes = ", ".join(f"{code} ({count})" for code, count in job.summary.errors.items())
        console.print(
            f"Review: {job.name} breaks the dubbing contract ({codes}): dubstudio open {job.project_dir}"
        )
    counts = controller.state.counts()
    console.print(
        f"{len(jobs)} jobs: {counts['done']} done, {counts['failed']} failed"
        + (
            f", {counts['pending'] + counts['cancelled']} not run"
            if counts["pending"] + counts["cancelled"]
            else ""
        )
        + f". Report: {controller.folder / REPORT_HTML}"
    )
    if failed:
        return EXIT_JOB_FAILED
    return EXIT_CONTRACT_FAILED if contract else 0


class LiveDisplay:
    """The terminal view of a running batch: one bar for the batch (done, running, failed, ETA) and
    one per running job (its stage), with a line printed for every job that ends."""

    def __init__(self, controller, console: Console) -> None:
        self.controller = controller
        self.console = console
        self.started = time.monotonic()
        self.overall = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
        )
        self.jobs = Progress(
            TextColumn("  {task.description:<28}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[stage]}"),
            console=console,
        )
        self.batch_task = self.overall.add_task("Batch", total=1, status="")
        self.job_tasks: dict[str, TaskID] = {}

    def __rich__(self) -> Group:
        self._update_overall()
        return Group(self.overall, self.jobs)

    def _update_overall(self) -> None:
        counts = self.controller.state.counts()
        total = len(self.controller.jobs)
        finished = counts["done"] + counts["failed"]
        eta = self.controller.eta_seconds()
        status = (
            f"{counts['done']} done · {counts['running']} running · {counts['failed']} failed · "
            f"{counts['pending'] + counts['cancelled']} waiting · "
            + (f"ETA {format_duration(eta)}" if eta is not None else "ETA after the first job")
        )
        self.overall.update(self.batch_task, total=max(total, 1), completed=finished, status=status)

    def on_event(self, event) -> None:
        job = event.job
        if event.kind == "pool":
            self.console.print(f"Running on {event.message}.")
        if job is None:
            return
        if event.kind in ("started", "progress"):
            live = self.controller.live.get(job.key)
            if job.key not in self.job_tasks:
                self.job_tasks[job.key] = self.jobs.add_task(job.name, total=1.0, stage="")
            if live is not None:
                stage = live.stage or live.message
                detail = f" · {live.message[:30]}" if live.stage and live.message else ""
                self.jobs.update(self.job_tasks[job.key], completed=live.overall, stage=f"{stage}{detail}")
            return
        task = self.job_tasks.pop(job.key, None)
        if task is not None:
            self.jobs.remove_task(task)
        if event.kind == "done":
            warnings = sum(job.summary.warnings.values())
            note = f", {warnings} warnings" if warnings else ""
            self.console.print(f"[green]Done[/] {job.name} in {job.summary.elapsed:.1f} s{note}")
        elif event.kind == "failed":
            self.console.print(f"[red]Failed[/] {job.name} (the reason is listed at the end)")
        elif event.kind == "retry":
            self.console.print(f"[yellow]Retrying[/] {job.name} ({event.message})")
