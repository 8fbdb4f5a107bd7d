"""The protocol every model backend meets, and the registry that names them."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from eventclf.errors import ConfigError, MissingDependencyError

__all__ = ["BACKENDS", "Backend", "RunContext", "get_backend"]


@dataclass(frozen=True)
class RunContext:
    """How a training run is carried out (not what is learned): where checkpoints go,
    whether to resume, which device, whether to show progress."""

    run_dir: Path | None = None
    resume: bool = False
    device: str = "auto"
    progress: bool = False


class Backend(Protocol):
    """A multi-label sentence scorer: ``predict_proba`` columns follow the label set."""

    name: ClassVar[str]

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        *,
        dev: tuple[Sequence[str], np.ndarray] | None = None,
    ) -> Backend: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def save(self, folder: Path) -> None: ...

    @classmethod
    def load(cls, folder: Path, info: dict[str, Any], *, device: str | None = None) -> Backend: ...

    def describe(self) -> dict[str, Any]: ...


#: name -> (module, class, extra that provides its dependencies or None)
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "linear": ("eventclf.models.linear", "LinearBackend", None),
    "transformer": ("eventclf.models.transformer", "TransformerBackend", "transformers"),
    "ensemble": ("eventclf.models.ensemble", "EnsembleBackend", None),
}


def get_backend(name: str) -> type[Backend]:
    """The backend class registered under ``name`` (imported lazily)."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown model backend {name!r}; expected one of {sorted(BACKENDS)}")
    module, cls, extra = BACKENDS[name]
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        hint = f"pip install 'eventclf[{extra}]'" if extra else "reinstall eventclf"
        raise MissingDependencyError(
            f"the {name!r} backend needs a package that is not installed ({exc.name}); "
            f"install it with: {hint}"
        ) from None
    backend: type[Backend] = getattr(mod, cls)
    return backend
