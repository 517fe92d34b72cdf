"""The outcome of one check, as every layer reports it (ingest contract, disclosure scanner, dbt, GX).

Belongs here: only the `CheckResult` record, so that producers of checks (restricted zone, quality gate) and
their readers (publish, the quality report) share one shape without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckResult:
    name: str
    level: str  # "dbt" | "great_expectations" | "pandera" | "scanner"
    target: str  # mart, feed or model the check is about
    passed: bool
    severity: str = "error"
    message: str = ""
    failing_samples: list[dict] = field(default_factory=list)
    tolerance: dict | None = None  # the tolerance a check used, when it has one (drift, row counts)

    def as_dict(self) -> dict:
        out = {
            "name": self.name,
            "level": self.level,
            "target": self.target,
            "passed": self.passed,
            "severity": self.severity,
            "message": self.message,
            "failing_samples": self.failing_samples[:5],
        }
        if self.tolerance is not None:
            out["tolerance"] = self.tolerance
        return out
