"""LLM prompts: the code cut into the planner's chunks, plus the findings that fit.

``build_chunks`` packs the files exactly as ``planning.chunk_sizes`` does (the
estimator's packing), so the run sends the chunks the estimate priced: same
order, same token sizes, same ``max_calls`` selection. A file larger than the
room left is cut at line boundaries in proportion to its tokens.

``build_prompt`` keeps each call within its budget: the stage instruction,
file headers and findings share ``prompt_overhead_tokens``; findings that do
not fit are dropped (most severe kept first) and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keel.protocol.advisor import Finding
from keel.scan.tokens import count_tokens

from .definitions import StageDef
from .sources import SourceFile

SYSTEM_PROMPT = (
    "You are Keel, a careful senior engineer reviewing code in a developer's editor. "
    "Be concrete: name the file and line. Say so when you are unsure."
)
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Piece:
    rel_path: str
    first_line: int  # 1-based
    text: str


@dataclass
class Chunk:
    tokens: int  # the planner's size of this chunk
    pieces: list[Piece] = field(default_factory=list)

    @property
    def files(self) -> set[str]:
        return {p.rel_path for p in self.pieces}


def _cut_points(text: str, file_tokens: int) -> tuple[list[str], list[float]]:
    lines = text.splitlines(keepends=True)
    weights = [count_tokens(line) if line.strip() else 0 for line in lines]
    scale = file_tokens / max(1, sum(weights))
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight * scale
        cumulative.append(total)
    return lines, cumulative


def build_chunks(stage: StageDef, files: list[SourceFile], texts: dict[str, str]) -> list[Chunk]:
    chunks: list[Chunk] = []
    current = Chunk(0)
    for source in files:
        lines, cumulative = _cut_points(texts.get(source.rel_path, ""), source.tokens)
        remaining = source.tokens
        line_index = 0
        while remaining > 0:
            take = min(stage.chunk_tokens - current.tokens, remaining)
            remaining -= take
            consumed = source.tokens - remaining
            end = line_index
            if remaining == 0:
                end = len(lines)
            else:
                while end < len(lines) and cumulative[end] <= consumed:
                    end += 1
            if end > line_index:
                current.pieces.append(Piece(source.rel_path, line_index + 1,
                                            "".join(lines[line_index:end])))
            line_index = end
            current.tokens += take
            if current.tokens >= stage.chunk_tokens:
                chunks.append(current)
                current = Chunk(0)
    if current.tokens:
        chunks.append(current)
    if stage.max_calls is not None and len(chunks) > stage.max_calls:
        chunks = sorted(chunks, key=lambda c: c.tokens, reverse=True)[: stage.max_calls]
    return chunks


def _finding_line(finding: Finding, rel_by_uri: dict[str, str]) -> str:
    where = f"{rel_by_uri.get(finding.uri, finding.uri)}:{finding.range.start.line + 1}"
    return f"- {where} [{finding.severity}] {finding.rule}: {finding.message}"


def _piece_header(piece: Piece) -> str:
    last = piece.first_line + max(0, piece.text.count("\n") - 1)
    return f"### {piece.rel_path} (lines {piece.first_line}-{last})\n```python\n"


def build_prompt(stage: StageDef, chunk: Chunk, findings: list[Finding],
                 rel_by_uri: dict[str, str]) -> tuple[str, int]:
    """The prompt for one call and how many findings were left out to fit the budget."""
    headers = [_piece_header(p) for p in chunk.pieces]
    fixed = f"{stage.prompt}\n\nStatic findings in this code:\n\nCode:\n" + "```\n" * len(headers)
    budget = stage.prompt_overhead_tokens - count_tokens(fixed) - sum(map(count_tokens, headers))
    relevant = sorted(
        (f for f in findings if rel_by_uri.get(f.uri) in chunk.files),
        key=lambda f: (_SEVERITY_ORDER.get(f.severity, 3), rel_by_uri.get(f.uri, ""),
                       f.range.start.line),
    )
    lines: list[str] = []
    used = 0
    for finding in relevant:
        line = _finding_line(finding, rel_by_uri)
        cost = count_tokens(line + "\n")
        if used + cost > budget - 12:  # keep room for the "(N more)" line
            break
        lines.append(line)
        used += cost
    dropped = len(relevant) - len(lines)
    if dropped:
        lines.append(f"- (and {dropped} more not shown)")
    if not relevant:
        lines.append("- none")
    code = "".join(f"{header}{piece.text.rstrip()}\n```\n"
                   for header, piece in zip(headers, chunk.pieces, strict=True))
    prompt = (f"{stage.prompt}\n\nStatic findings in this code:\n" + "\n".join(lines)
              + f"\n\nCode:\n{code}")
    return prompt, dropped
