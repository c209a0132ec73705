"""Batch dubbing: many (file, language) jobs over a pool of workers that keep their models loaded.

Layers (no Qt here; the CLI and the editor's Batch window drive the same controller):
- `jobs`: the jobs of a batch, from file names or a manifest CSV, each a `pipeline.dub_job.DubRequest`;
- `state`: the batch state file in the output folder (atomic writes) that makes a batch resumable;
- `worker`: what runs in a worker: one job through `run_dub`, engines loaded once per worker;
- `pools`: a local pool of worker processes; `ray_pool`: Ray actors on a local runtime or a cluster;
- `controller`: the queue: hands jobs to the pool, retries lost workers, publishes events;
- `report`: the JSON, CSV and HTML report in the output folder.
"""
