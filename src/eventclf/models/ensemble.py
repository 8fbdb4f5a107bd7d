"""Several backends trained on the same sentences, their scores averaged.

A linear model and a fine-tuned encoder make different mistakes on text unlike their training
data (the first keys on words, the second on phrasing and context), so the weighted mean of
their probabilities is steadier than either. Thresholds are tuned on the averaged dev scores
like any backend's. Each member is saved by its own backend in ``member-<i>/`` inside the
model folder (safetensors and JSON only, like everywhere else).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from eventclf.config import EnsembleModelConfig
from eventclf.errors import ModelError
from eventclf.models.base import Backend, RunContext, get_backend

__all__ = ["EnsembleBackend"]


class EnsembleBackend:
    """The weighted mean of its members' ``predict_proba``."""

    name: ClassVar[str] = "ensemble"
    members_: list[Backend]

    def __init__(
        self,
        params: EnsembleModelConfig,
        *,
        seed: int = 0,
        context: RunContext | None = None,
    ) -> None:
        self.params = params
        self.seed = seed
        self.context = context or RunContext()
        self.weights = params.normalised_weights

    def _member_context(self, i: int) -> RunContext:
        run_dir = self.context.run_dir
        return RunContext(
            run_dir=run_dir / f"member-{i}" if run_dir is not None else None,
            resume=self.context.resume,
            device=self.context.device,
            progress=self.context.progress,
        )

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        *,
        dev: tuple[Sequence[str], np.ndarray] | None = None,
    ) -> EnsembleBackend:
        self.members_ = []
        offsets = self.params.member_seed_offsets
        for i, member in enumerate(self.params.members):
            cls = get_backend(member.backend)
            seed = self.seed + offsets[i]
            backend = cls(member, seed=seed, context=self._member_context(i))  # type: ignore[call-arg]
            self.members_.append(backend.fit(texts, y, dev=dev))
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "members_"):
            raise ModelError("this EnsembleBackend is not fitted; call fit() or load()")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        texts = list(texts)
        total: np.ndarray | None = None
        for weight, member in zip(self.weights, self.members_, strict=True):
            proba = np.asarray(member.predict_proba(texts), dtype=np.float64) * weight
            total = proba if total is None else total + proba
        assert total is not None
        return total

    def quantize(self, mode: str = "int8") -> EnsembleBackend:
        """The same reduced-precision mode for every member that has one (others unchanged)."""
        self._check_fitted()
        for member in self.members_:
            quantize = getattr(member, "quantize", None)
            if quantize is not None:
                quantize(mode)
        return self

    def save(self, folder: Path) -> None:
        self._check_fitted()
        for i, member in enumerate(self.members_):
            sub = folder / f"member-{i}"
            sub.mkdir()
            member.save(sub)

    @classmethod
    def load(
        cls, folder: Path, info: dict[str, Any], *, device: str | None = None
    ) -> EnsembleBackend:
        params = EnsembleModelConfig.model_validate(info["params"])
        model = cls(params, seed=int(info.get("seed", 0)))
        described = info.get("members", [])
        if len(described) != len(params.members):
            raise ModelError(
                f"{folder}: meta.json describes {len(described)} ensemble members, "
                f"the config {len(params.members)}"
            )
        model.members_ = []
        for i, (member, member_info) in enumerate(zip(params.members, described, strict=True)):
            cls_ = get_backend(member.backend)
            model.members_.append(cls_.load(folder / f"member-{i}", member_info, device=device))
        return model

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "params": self.params.model_dump(mode="json"),
            "seed": self.seed,
            "weights": self.weights,
        }
        if hasattr(self, "members_"):
            info["members"] = [m.describe() for m in self.members_]
        return info
