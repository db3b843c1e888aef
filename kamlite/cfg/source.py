"""Config text and where each character of it came from.

The preprocessor turns files into one text for the parser.  Every piece of that text is a
segment: a run copied from a file (offsets map one to one), or text that a define or a
#!subst produced (every offset maps to the place that produced it).  A Location for any
parser offset is found by bisecting the segments, so errors name the original file:line.
"""
from __future__ import annotations

import bisect
import dataclasses

from ..errors import Location


class SourceFile:
    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.line_starts = starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (a tab counts as one column, as in Kamailio)."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def location(self, offset: int) -> Location:
        line, col = self.line_col(offset)
        return Location(self.path, line, col)


@dataclasses.dataclass
class Segment:
    out_start: int          # where the segment starts in the expanded text
    file: SourceFile
    src_start: int          # offset in file.text
    generated: bool         # True: produced by a define/subst; all offsets map to src_start


class Expanded:
    """The preprocessed text of a config and the map back to its files."""

    def __init__(self, main: SourceFile):
        self.main = main
        self.files: list[SourceFile] = [main]
        self.parts: list[str] = []
        self.segments: list[Segment] = []
        self._starts: list[int] = []
        self.length = 0
        self.text = ""
        self.defines: dict[str, str | None] = {}
        self.subst_at: list[int] = []       # where #!subst directives were (top level only)

    # building -------------------------------------------------------------
    def copy(self, file: SourceFile, start: int, end: int, text: str | None = None) -> None:
        """Append file.text[start:end] (or a same-length replacement of it)."""
        if end <= start:
            return
        chunk = file.text[start:end] if text is None else text
        last = self.segments[-1] if self.segments else None
        if not (last and not last.generated and last.file is file
                and last.src_start + (self.length - last.out_start) == start):
            self.segments.append(Segment(self.length, file, start, False))
        self.parts.append(chunk)
        self.length += len(chunk)

    def generate(self, text: str, file: SourceFile, at: int) -> None:
        """Append text that does not exist in any file as such, attributed to file:at."""
        if not text:
            return
        self.segments.append(Segment(self.length, file, at, True))
        self.parts.append(text)
        self.length += len(text)

    def finish(self) -> None:
        self.text = "".join(self.parts)
        self.parts = []
        self._starts = [s.out_start for s in self.segments]

    # mapping --------------------------------------------------------------
    def _origin(self, offset: int) -> tuple[SourceFile, int]:
        if not self.segments:
            return self.main, 0
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            i = 0
        seg = self.segments[i]
        if seg.generated:
            return seg.file, seg.src_start
        return seg.file, seg.src_start + (offset - seg.out_start)

    def location(self, offset: int, end: int | None = None) -> Location:
        file, pos = self._origin(offset)
        line, col = file.line_col(pos)
        if end is None or end <= offset:
            return Location(file.path, line, col)
        efile, epos = self._origin(end - 1)
        if efile is not file:
            return Location(file.path, line, col)
        eline, ecol = efile.line_col(epos)
        return Location(file.path, line, col, eline, ecol)
