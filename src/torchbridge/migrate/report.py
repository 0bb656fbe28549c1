"""What ``torchbridge migrate`` tells the user: one :class:`Finding` per change it made or
could not make (file, line, what, the suggested replacement, a docs anchor), gathered per
file in a :class:`FileReport`, and the plain-text summary the command prints."""

from __future__ import annotations

import dataclasses

__all__ = ["DOCS_PAGE", "FileReport", "Finding", "format_summary"]

#: The page every finding links to (an anchor of docs/migrate.md is appended).
DOCS_PAGE = "docs/migrate.md"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One place in a file: ``kind`` is ``"rewritten"`` (done; a note on semantics may
    follow) or ``"manual"`` (left unchanged: needs a hand edit)."""

    line: int
    column: int
    kind: str
    message: str
    suggestion: str = ""
    anchor: str = "unsupported"

    @property
    def link(self) -> str:
        return f"{DOCS_PAGE}#{self.anchor}"

    def format(self, path: str) -> str:
        text = f"{path}:{self.line}:{self.column + 1}: {self.kind}: {self.message}"
        if self.suggestion:
            text += f" -> {self.suggestion}"
        return f"{text} (see {self.link})"


@dataclasses.dataclass
class FileReport:
    """The result of migrating one file: its old and new text and the findings."""

    path: str
    source: str
    migrated: str
    findings: list[Finding] = dataclasses.field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.error is None and self.migrated != self.source

    @property
    def manual(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "manual"]

    @property
    def rewritten(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "rewritten"]


def format_summary(reports: list[FileReport], wrote: bool = False) -> str:
    """One block per file with findings, then a totals line."""
    lines: list[str] = []
    for report in reports:
        if report.error is not None:
            lines.append(f"{report.path}: error: {report.error}")
            continue
        for finding in sorted(report.findings, key=lambda f: (f.line, f.column)):
            lines.append(finding.format(report.path))
    changed = sum(r.changed for r in reports)
    manual = sum(len(r.manual) for r in reports)
    errors = sum(r.error is not None for r in reports)
    verb = "rewritten" if wrote else "would be rewritten"
    total = (
        f"{len(reports)} file(s) checked, {changed} {verb}, {manual} place(s) to convert by hand"
    )
    if errors:
        total += f", {errors} could not be parsed"
    lines.append(total + ".")
    return "\n".join(lines)
