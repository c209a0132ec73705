"""The batch report in the output folder, rewritten after every job: `report.json`, `report.csv`
and `report.html`, one row per job with its status, attempts, durations per stage, warnings by
code, the reason of a failure, and where its project is (the HTML links to the folder, the dubbed
video and the subtitles, and shows the `dubstudio open` command that opens it in the editor)."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shlex
from pathlib import Path
from typing import Any

from dubstudio.batch.state import BatchState, JobRecord
from dubstudio.core.project import now_iso
from dubstudio.core.store import atomic_write_bytes
from dubstudio.pipeline.dub_job import JOB_STAGES
from dubstudio.pipeline.stage_spec import NOUNS

REPORT_JSON = "report.json"
REPORT_CSV = "report.csv"
REPORT_HTML = "report.html"
#: stage columns of the report, in pipeline order
STAGE_COLUMNS = tuple((stage, NOUNS[stage]) for stage in JOB_STAGES)
STATUS_COLOURS = {
    "done": "#2e7d32", "failed": "#c62828", "running": "#1565c0", "pending": "#757575",
    "cancelled": "#ef6c00",
}  # fmt: skip


def open_command(job: JobRecord) -> str:
    return f"dubstudio open {shlex.quote(str(job.project_dir))}"


def job_row(job: JobRecord) -> dict[str, Any]:
    return {
        "name": job.name,
        "input": str(job.media),
        "language": job.language,
        "status": job.status,
        "needsReview": sum(job.summary.warnings.values()) + sum(job.summary.errors.values()),
        "attempts": len(job.attempts),
        "worker": job.worker,
        "reason": job.reason,
        "elapsedSeconds": round(job.summary.elapsed, 2),
        "mediaSeconds": round(job.summary.media_seconds, 2),
        "enginesLoaded": job.summary.engines_loaded,
        "cues": job.summary.cues,
        "speakers": job.summary.speakers,
        "stageSeconds": {
            stage: round(job.summary.stage_seconds[stage], 2)
            for stage, _ in STAGE_COLUMNS
            if stage in job.summary.stage_seconds
        },
        "warnings": job.summary.warnings,
        "errors": job.summary.errors,
        "project": str(job.project_dir),
        "open": open_command(job) if job.status == "done" else "",
        "files": job.summary.files,
        "finishedAt": job.finished_at,
    }


def summary(state: BatchState) -> dict[str, Any]:
    jobs = list(state.jobs.values())
    done = [job for job in jobs if job.status == "done"]
    return {
        "folder": str(state.folder),
        "updatedAt": now_iso(),
        "jobs": len(jobs),
        **state.counts(),
        "mediaSecondsDone": round(sum(job.summary.media_seconds for job in done), 2),
        "jobSecondsDone": round(sum(job.summary.elapsed for job in done), 2),
        "warnings": sum(sum(job.summary.warnings.values()) for job in done),
    }


def write_reports(state: BatchState) -> None:
    rows = [job_row(job) for job in state.jobs.values()]
    folder = state.folder
    folder.mkdir(parents=True, exist_ok=True)
    document = {"summary": summary(state), "jobs": rows}
    atomic_write_bytes(folder / REPORT_JSON, json.dumps(document, indent=1, ensure_ascii=False).encode())
    atomic_write_bytes(folder / REPORT_CSV, _csv(rows).encode("utf-8"))
    atomic_write_bytes(folder / REPORT_HTML, _html(state, rows).encode("utf-8"))


def _codes(counts: dict[str, int]) -> str:
    return "; ".join(f"{code} {count}" for code, count in counts.items())


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["name", "input", "language", "status", "attempts", "elapsed_s", "media_s"]
        + [f"{stage}_s" for stage, _ in STAGE_COLUMNS]
        + ["warnings", "errors", "reason", "project"]
    )
    for row in rows:
        writer.writerow(
            [row["name"], row["input"], row["language"], row["status"], row["attempts"]]
            + [row["elapsedSeconds"] or "", row["mediaSeconds"] or ""]
            + [row["stageSeconds"].get(stage, "") for stage, _ in STAGE_COLUMNS]
            + [_codes(row["warnings"]), _codes(row["errors"]), row["reason"], row["project"]]
        )
    return buffer.getvalue()


def _link(folder: Path, target: str, text: str) -> str:
    relative = Path(os.path.relpath(target, folder)).as_posix()
    return f'<a href="{html.escape(relative)}">{html.escape(text)}</a>'


def _html(state: BatchState, rows: list[dict[str, Any]]) -> str:
    totals = summary(state)
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in STAGE_COLUMNS)
    body = []
    for row in rows:
        colour = STATUS_COLOURS.get(row["status"], "#000")
        stages = "".join(
            f"<td class=num>{row['stageSeconds'][stage]:.1f}</td>"
            if stage in row["stageSeconds"]
            else "<td></td>"
            for stage, _ in STAGE_COLUMNS
        )
        warnings = "<br>".join(f"{html.escape(code)} {count}" for code, count in row["warnings"].items())
        errors = "<br>".join(f"<b>{html.escape(code)} {count}</b>" for code, count in row["errors"].items())
        links = ""
        if row["status"] == "done":
            parts = [_link(state.folder, row["project"], "project folder")]
            for kind in ("video", "target.srt", "mix.wav"):
                if kind in row["files"]:
                    parts.append(_link(state.folder, row["files"][kind], kind))
            links = " · ".join(parts) + f"<br><code>{html.escape(row['open'])}</code>"
        elapsed = f"{row['elapsedSeconds']:.1f}" if row["elapsedSeconds"] else ""
        body.append(
            f"<tr><td>{html.escape(row['name'])}<div class=path>{html.escape(row['input'])}</div></td>"
            f"<td>{html.escape(row['language'])}</td>"
            f"<td style='color:{colour}'><b>{html.escape(row['status'])}</b></td>"
            f"<td class=num>{row['attempts']}</td><td class=num>{elapsed}</td>{stages}"
            f"<td>{warnings}{'<br>' if warnings and errors else ''}{errors}</td>"
            f"<td>{html.escape(row['reason'])}{links}</td></tr>"
        )
    counts = ", ".join(
        f"{totals[s]} {s}" for s in ("done", "failed", "running", "pending", "cancelled") if totals[s]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>DubStudio batch — {html.escape(state.folder.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }} .num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.path {{ color: #777; font-size: 12px; }} code {{ font-size: 12px; }}
</style></head><body>
<h1>Batch {html.escape(str(state.folder))}</h1>
<p>{totals["jobs"]} jobs: {html.escape(counts)}. {totals["mediaSecondsDone"]:.1f} s of media dubbed;
{totals["warnings"]} warnings to review. Updated {html.escape(totals["updatedAt"])}.</p>
<table><thead><tr><th>job</th><th>language</th><th>status</th><th>tries</th><th>seconds</th>{head}
<th>warnings</th><th>reason / open</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<p>Durations are seconds; a stage restored from a project's cache keeps the time it took when it ran.</p>
</body></html>
"""
