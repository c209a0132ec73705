"""Model registry, installer, verifier and importer (no Qt: the GUI model manager and the CLI share it).

Public API: `list_models()`, `install(model_id, progress=None, cancel=None, source=None)`,
`verify(model_id)`, `import_model(path)`, `DEFAULT_MODELS`, `REGISTRY`; engines locate installed
models only through `dubstudio.models.paths.model_dir(id)`.
"""

from dubstudio.models.importer import import_model
from dubstudio.models.installer import (
    FileCheck,
    ModelStatus,
    VerifyResult,
    install,
    list_models,
    model_status,
    verify,
)
from dubstudio.models.registry import DEFAULT_MODELS, REGISTRY, ModelSpec, get_spec

__all__ = [
    "DEFAULT_MODELS",
    "REGISTRY",
    "FileCheck",
    "ModelSpec",
    "ModelStatus",
    "VerifyResult",
    "get_spec",
    "import_model",
    "install",
    "list_models",
    "model_status",
    "verify",
]
