"""The whole pipeline, stage after stage, writing each stage's output into one folder.

``run_demo`` runs it on the built-in sample centre. Each stage is added here as it lands:
history -> forecast -> staffing -> schedule -> evaluate -> scenarios -> accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from planner.progress import ProgressCallback, report

__all__ = ["PipelineResult", "run_demo"]


@dataclass
class PipelineResult:
    """What a pipeline run wrote: a label per output and its path."""

    out_dir: Path
    outputs: dict[str, Path] = field(default_factory=dict)


def run_demo(out_dir: Path, *, seed: int = 7, progress: ProgressCallback | None = None) -> PipelineResult:
    """Generate the sample centre and run every stage that exists on it, writing into ``out_dir``."""
    from planner.io import write_frame
    from planner.sample import generate_sample_history

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = PipelineResult(out_dir=out_dir)
    steps = 1
    report(progress, "sample centre", 0, steps)
    history = generate_sample_history(seed=seed)
    result.outputs["history"] = write_frame(history, out_dir / "history.csv")
    report(progress, "sample centre", 1, steps)
    return result
