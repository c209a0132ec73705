"""One batch job in a worker (`batch/worker.py`), on a real input: what it reports to the batch."""

from __future__ import annotations

import pytest

from dubstudio.batch.worker import EngineCache, execute_job
from dubstudio.core.store import load_project
from dubstudio.pipeline.dub_job import JOB_STAGES, DubRequest
from dubstudio.pipeline.mouths import load_track


@pytest.mark.slow
def test_a_job_reports_its_own_stages_only(batch_inputs, tmp_path, measured_spanish_voices):
    """The video's mouths are read beside the pipeline and report under their own name: the batch
    hears only the job's stages, so its record and bar never flicker to a side job."""
    media, transcript = batch_inputs.good["reader.es"]
    out = tmp_path / "reader.es"
    request = DubRequest(media, out, "es", source_language="en", subtitles=transcript)
    stages: list[str] = []
    result = execute_job("reader.es", request, EngineCache(), lambda stage, _f, _t: stages.append(stage))
    assert result.status == "done", result.reason
    assert load_track(out, load_project(out)) is not None  # the mouths were read beside the job
    assert "synthesis" in stages and set(stages) <= set(JOB_STAGES), sorted(set(stages))
