"""Fixed, locale-free number formatting and Markdown/LaTeX escaping.

Tables must regenerate byte for byte from the same results, so every number
goes through one of these functions (never `str(float)` or pandas' repr).
"""
from __future__ import annotations

import math
import re

MARKS = ("†", "‡", "§", "¶", "‖")
_LATEX_MARKS = {"†": r"\dag", "‡": r"\ddag", "§": r"\S", "¶": r"\P", "‖": r"\|"}
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "—": "---", "–": "--", "−": "-", "≈": r"$\approx$",
                  "±": r"$\pm$", "↑": r"$\uparrow$", "↓": r"$\downarrow$", "×": r"$\times$",
                  "≥": r"$\geq$", "≤": r"$\leq$", "…": r"\dots{}", "<": r"\textless{}",
                  ">": r"\textgreater{}", "|": r"\textbar{}", "\n": " "}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def mark(i: int) -> str:
    """The i-th footnote mark (0-based): †, ‡, §, ¶, ‖, then ††, ‡‡, ..."""
    return MARKS[i % len(MARKS)] * (i // len(MARKS) + 1)


def fmt_fixed(x: float, decimals: int) -> str:
    """`x` with exactly `decimals` digits after the point; "nan" for NaN; no "-0.00"."""
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def fmt_sig(x: float, sig: int = 3) -> str:
    """`x` to `sig` significant digits without exponent; integer digits are never dropped.

    0.8 -> "0.8", 1.5 -> "1.5", 12.375 -> "12.4", 44100 -> "44100", 0.0421 -> "0.0421".
    """
    if not math.isfinite(x):
        return fmt_fixed(x, 0)
    if x == 0:
        return "0"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(x))))
    text = fmt_fixed(round(x, decimals), decimals)
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_count(x: float) -> str:
    """An integer count; powers of two from 2^10 up as "2^k" (codebook sizes)."""
    if not math.isfinite(x):
        return fmt_fixed(x, 0)
    n = int(round(x))
    if n >= 1024 and n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    return str(n)


def latex_escape(text: str) -> str:
    """Escape LaTeX specials and map the few non-ASCII symbols reports use."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)


def latex_number(text: str) -> str:
    """A formatted number for LaTeX: "2^16" -> "$2^{16}$", "8×2^10" -> "$8\\times 2^{10}$",
    "-1.5" -> "$-1.5$" (a real minus); other text unchanged."""
    if "×" not in text and not text.startswith("-") and not re.fullmatch(r"2\^\d+", text):
        return text
    parts = [re.sub(r"^2\^(\d+)$", r"2^{\1}", p) for p in text.split("×")]
    return "$" + r" \times ".join(parts) + "$"


def latex_marks(marks: str) -> str:
    """Footnote marks as a LaTeX superscript ('' for none)."""
    if not marks:
        return ""
    return r"\textsuperscript{" + "".join(_LATEX_MARKS[c] for c in marks) + "}"


def md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, newlines flattened)."""
    return text.replace("|", r"\|").replace("\n", " ")


def pipe_table(header: list[str], rows: list[list[str]], align: list[str]) -> str:
    """A GitHub pipe table; `align` holds "l" or "r" per column. No `tabulate` needed."""
    if any(len(r) != len(header) for r in rows) or len(align) != len(header):
        raise ValueError("pipe_table: every row and `align` need one entry per header column")
    rule = [":--" if a == "l" else "--:" for a in align]
    lines = ["| " + " | ".join(cells) + " |" for cells in [header, rule, *rows]]
    return "\n".join(lines) + "\n"
