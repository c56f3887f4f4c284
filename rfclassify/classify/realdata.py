"""Evaluation on the real public recordings beside the checkout (``../shared/realdata``).

``expected.csv`` there says, per file, how to read it (format, sample rate,
centre frequency) and what a correct classifier says: the expected label
where the taxonomy has one, and whether a drone may be reported at all.
These files are for evaluation only: never trained on, never copied.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rfclassify.signatures import UNKNOWN


@dataclass
class RealResult:
    """What ``classify`` said about one real recording, judged against ``expected.csv``."""

    file: str
    expected_label: str
    drone_allowed: bool
    labels: list[str]
    drone_reported: bool
    records: list[dict[str, Any]]

    @property
    def no_false_drone(self) -> bool:
        """True unless a drone was reported where none may be."""
        return self.drone_allowed or not self.drone_reported

    @property
    def label_found(self) -> bool | None:
        """True if the expected label is among the reported emitters (None: no label expected)."""
        if not self.expected_label:
            return None
        return self.expected_label in self.labels

    @property
    def ok(self) -> bool:
        """No false drone, and the expected label found where one is expected."""
        return self.no_false_drone and self.label_found is not False


def default_realdata_dir() -> Path:
    """``../shared/realdata`` relative to the checkout."""
    return Path(__file__).resolve().parents[3] / "shared" / "realdata"


def expected_rows(root: Path | None = None) -> list[dict[str, str]]:
    """Rows of ``expected.csv`` (empty if the folder is absent)."""
    root = root or default_realdata_dir()
    path = root / "expected.csv"
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def classify_real(row: dict[str, str], classifier: Any, root: Path | None = None) -> RealResult:
    """Classify one real recording as ``expected.csv`` says to read it."""
    from rfclassify.classify.recordings import classify_source
    from rfclassify.sources import open_source

    root = root or default_realdata_dir()
    path = root / row["file"]
    fmt = row["format"]
    kwargs: dict[str, Any] = {}
    if fmt != "sigmf":
        kwargs = {"format": fmt, "sample_rate_hz": float(row["sample_rate_hz"]),
                  "center_freq_hz": float(row["center_freq_hz"])}
    with open_source(str(path), **kwargs) as source:
        records = classify_source(source, classifier, source_name=row["file"])
    labels = sorted({r["label"] for r in records})
    return RealResult(
        file=row["file"],
        expected_label=row.get("expected_label", "") or "",
        drone_allowed=row.get("drone_allowed", "false").strip().lower() == "true",
        labels=labels,
        drone_reported=any(r["drone"] for r in records),
        records=records,
    )


def markdown_table(results: list[RealResult]) -> str:
    """A table for BENCHMARKS.md: file, expected, reported, verdicts."""
    lines = [
        "| file | expected | reported (emitters) | drone reported | verdict |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        reported = ", ".join(
            f"{lab}×{sum(1 for x in r.records if x['label'] == lab)}" for lab in r.labels
        ) or "nothing"
        verdict = "ok" if r.ok else ("FALSE DRONE" if not r.no_false_drone else "label missed")
        lines.append(
            f"| `{r.file}` | {r.expected_label or '(none; no drone)'} | {reported} | "
            f"{'yes' if r.drone_reported else 'no'} | {verdict} |"
        )
    n = len(results)
    nd = [r for r in results if not r.drone_allowed]
    lab = [r for r in results if r.expected_label]
    lines.append("")
    lines.append(
        f"{sum(r.no_false_drone for r in nd)}/{len(nd)} drone-free recordings without a false drone; "
        f"{sum(bool(r.label_found) for r in lab)}/{len(lab)} expected labels found; "
        f"{sum(r.ok for r in results)}/{n} fully correct. `{UNKNOWN}` counts as not-a-drone."
    )
    return "\n".join(lines)
