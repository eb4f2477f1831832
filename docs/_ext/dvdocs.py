"""Sphinx helpers that take every number and every proof listing from the code.

* the role ``dv`` evaluates a Python expression at build time and inserts the result:
  ``{dv}`float(dv.kl([0.8, 0.2], [0.3, 0.7])) | .4f``` renders ``0.5341``. The expression sees
  ``dv`` (the package), ``np`` and ``math``; the text after ``|`` is a format spec.
* the directive ``dv-proofs`` renders the catalogue of ``proofs/proof_*.py``: each proof's title
  and claim (its docstring, with rendered formulas), a link to its source, its steps with their
  method, and the result of running each step now (or of a record of the same sources: CI's).
  Titles and steps are written in plain text with ASCII formulas, for the terminal;
  :func:`claim_rst` renders their formulas as math.
* the directive ``dv-run`` runs a ``divergences`` command while building and shows its output,
  failing the build when the exit status is not the one the page promises.
* :func:`training_run` trains one configuration of the training lab once per build (the plots of
  a page share it); the directive ``dv-training-gif`` writes that run's animation into the
  build's ``_static`` folder (never into the source tree) and shows it; :func:`critic_sweep`
  runs a critic sweep once per build in the same way.
"""

from __future__ import annotations

import functools
import math
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

import numpy as np
from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging

import divergences as dv

logger = logging.getLogger(__name__)

_NAMESPACE: dict[str, Any] = {"dv": dv, "np": np, "math": math}
_ROOT = pathlib.Path(__file__).resolve().parents[2]


def dv_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options=None, content=None
):
    """The role ``{dv}`expression | format```: a Python expression's value, computed at build."""
    expr, _, spec = text.partition("|")
    try:
        value = eval(expr.strip(), dict(_NAMESPACE))  # the docs' own expressions
        rendered = format(value, spec.strip())
    except Exception as exc:
        msg = inliner.reporter.error(f"dv role: {expr.strip()!r} failed: {exc}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [nodes.literal(rawtext, rendered)], []


# The proofs state their titles and steps in plain text with ASCII formulas ("KL(p || q) >= 0",
# "D* = p / (p + q)"), which `divergences verify` prints in a terminal. The catalogue renders the
# formulas as math: a claim is cut into runs of words and runs of formula, and each formula run is
# rewritten in LaTeX. A token is a word when it is an English word (of three letters or more, or a
# short one such as "is", "at", "a"), a name ("Pinsker", "POT's", "1-Lipschitz"); it is code when
# it names a Python object (``dv.kl``, ``w1_primal``); everything else (symbols, numbers, single
# letters, function names such as log, KL or sqrt) is formula.

_MATH_FUNCTIONS = {
    "log", "exp", "min", "max", "sup", "inf", "sqrt", "argmax", "argmin", "tanh", "sin", "cos",
    "det", "tr", "diag", "lim", "sign", "int",
}  # fmt: skip
_MATH_NAMES = {"KL", "JS", "TV", "MI", "IS", "FID", "ELBO", "W1", "H", "E", "V", "D", "G", "I"}
_GREEK = (
    "alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "nu", "pi",
    "rho", "sigma", "tau", "phi", "psi", "omega", "Sigma", "Delta",
)  # fmt: skip
_SHORT_WORDS = {
    "a", "an", "is", "at", "on", "in", "of", "by", "to", "as", "or", "no", "be", "it", "if", "so",
    "we", "up", "do", "vs", "et", "al",
}  # fmt: skip
_CODE = re.compile(
    r"\bfloat(?:16|32|64)\b|\b(?:dv|jax|scipy|np|ot)\.[\w.]+|\b[A-Za-z][A-Za-z0-9]*(?:_[a-z]+)*_[a-z]{4,}\b"
)
_OPERATOR_EDGE = re.compile(r"^[=+\-*/<>^|]|[=+\-*/<>^|(]$")


def _token_kind(token: str) -> str:
    """``"prose"``, ``"code"`` or ``"math"``: how one whitespace-separated token is shown."""
    if _CODE.search(token):
        return "code"
    core = token.strip("([,.:;)]")
    if not core:
        return "math"
    if (re.fullmatch(r"[A-Za-z]+'s?", core) and not token.endswith("'")) or re.fullmatch(
        r"[A-Za-z]{4,}'|[0-9A-Za-z]+(-[A-Za-z]+)+", core
    ):
        return "prose"  # POT's, activations', 1-Lipschitz, Kantorovich-Rubinstein
    if not re.fullmatch(r"[A-Za-z]+", core) or token.rstrip(",.;:").endswith("("):
        return "math"
    if core in _MATH_FUNCTIONS or core in _MATH_NAMES or core in _GREEK:
        return "math"
    if len(core) == 1:  # a variable, but for the article "a" (see claim_rst)
        return "prose" if core == "a" and core == token.rstrip(",.;:") else "math"
    if len(core) == 2 and core.islower():
        return "prose" if core in _SHORT_WORDS else "math"
    return "prose"  # words, names and acronyms (LP, POT, SVD)


def _sqrt_braces(s: str) -> str:
    r"""``\sqrt(x)`` as ``\sqrt{x}``: the radical drawn over its whole argument."""
    out, i = "", 0
    while (j := s.find("\\sqrt(", i)) >= 0:
        depth, k = 0, j + 5
        while k < len(s):
            depth += {"(": 1, ")": -1}.get(s[k], 0)
            if depth == 0:
                break
            k += 1
        if k == len(s):
            break
        out += s[i:j] + "\\sqrt{" + s[j + 6 : k] + "}"
        i = k + 1
    return out + s[i:]


def ascii_to_latex(formula: str) -> str:
    r"""An ASCII formula of a proof's claim in LaTeX.

    ``KL(p_hat || q) >= 0`` becomes ``\mathrm{KL}(\hat{p} \,\|\, q) \ge 0``.
    """
    s = formula
    grouping = s.count("{") == s.count("}") and all(  # braces of a subscript, else a set
        i > 0 and s[i - 1] in "_^" for i, c in enumerate(s) if c == "{"
    )
    s = re.sub(r"([%#&])" if grouping else r"([{}%#&])", r"\\\1", s)
    s = s.replace("INF_OP", "\\inf").replace("~", r"\sim ")
    s = re.sub(r"<(\S[^<>=]*\S)>", r"\\langle \1 \\rangle", s)
    s = s.replace(" || ", r" \,\|\, ").replace("||", r"\|")
    for ascii_, tex in (("<=", r"\le"), (">=", r"\ge"), ("!=", r"\ne"), ("->", r"\to")):
        s = s.replace(ascii_, f" {tex} ")
    s = s.replace("+-", r"\pm ")
    s = re.sub(r"\^(-\d+)", r"^{\1}", s)
    s = re.sub(r"\b([A-Za-z])_hat", r"\\hat{\1}", s)
    s = re.sub(
        r"\b(\d+(?:\.\d+)?)e([+-]?\d+)\b",
        lambda m: (
            (f"{m.group(1)} \\cdot " if m.group(1) != "1" else "")
            + f"10^{{{m.group(2).lstrip('+')}}}"
        ),
        s,
    )
    s = re.sub(r"(?<!\\)\binf\b(?!_)", r"\\infty", s)
    s = re.sub(
        r"(?<![A-Za-z\\])(" + "|".join(_GREEK) + r")(\d?)(?![A-Za-z])",
        lambda m: f"\\{m.group(1)}" + (f"_{m.group(2)}" if m.group(2) else "") + " ",
        s,
    )
    s = re.sub(
        r"(?<![A-Za-z\\])(sum|prod|log|exp|min|max|sup|inf|sqrt|tanh|sin|cos|det|lim|int)"
        r"(?![A-Za-z])",
        r"\\\1",
        s,
    )
    s = _sqrt_braces(s)
    s = re.sub(r"\b(argmax|argmin|tr|diag|sign)(?![A-Za-z])", r"\\operatorname{\1}", s)
    s = re.sub(r"\b(KL|JS|TV|MI|IS|FID|ELBO)(?![A-Za-z])", r"\\mathrm{\1}", s)
    s = re.sub(r"\bW1\b", "W_1", s)
    s = re.sub(r"(?<![\\A-Za-z_{])([A-Za-z]{3,})(?=['(])", r"\\operatorname{\1}", s)
    s = re.sub(r"_(\\?[A-Za-z0-9]{2,})", r"_{\1}", s)
    s = re.sub(r"([A-Za-z)])\*", r"\1^*", s)
    return re.sub(r" +", " ", s).strip()


_RELATION = re.compile(r" (?==|<|>|\\le |\\ge |\\ne |\\to |\\sim )")


def _breakable(latex: str) -> list[str]:
    """A formula cut where a line may break.

    The cuts are after a comma and before a relation (=, <=, ->, ...) outside brackets. MathJax
    never breaks inside one formula, so a long one in a narrow column (the side menu, a table cell)
    would run past its edge; its pieces wrap like words.
    """
    pieces, depth, start = [], 0, 0
    for i, c in enumerate(latex):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(c, 0)
        cut = i + 1 if c == "," and latex[i + 1 : i + 2] == " " else None
        if c == " " and _RELATION.match(latex, i):
            cut = i
        if depth == 0 and cut is not None and latex[start:cut].strip():
            pieces.append(latex[start:cut].strip())
            start = cut
    return [*pieces, latex[start:].strip()] if latex[start:].strip() else pieces


def _balanced(text: str) -> bool:
    return text.count("(") == text.count(")") and text.count("[") == text.count("]")


def _peel(run: str) -> tuple[str, str, str]:
    """A run's end punctuation, and a bracket it opens or closes without its partner, as text."""
    match = re.match(r"^(.*?)([,.;:]*)$", run)
    assert match is not None
    head, run, tail = "", match.group(1), match.group(2)
    for open_, close in ("()", "[]"):
        if run.startswith(open_) and run.count(open_) > run.count(close):
            head, run = head + open_, run[1:]
        if run.endswith(close) and run.count(close) > run.count(open_):
            run, tail = run[:-1], close + tail
    return head, run, tail


def claim_rst(text: str) -> str:
    """A proof's title or step claim as reStructuredText.

    Words as text, formulas as ``:math:``, Python names as literals.
    """
    words = _claim_words(text)
    runs = _claim_runs(words, _claim_kinds(words))
    return " ".join(_run_rst(kind, " ".join(run)) for kind, run in runs)


def _claim_words(text: str) -> list[str]:
    """The claim's words, a call in code kept whole with its arguments: dv.kl_normal(mu, s)."""
    tokens = text.split()
    for i, t in enumerate(tokens):  # "inf over couplings" is the infimum, elsewhere infinity
        if t == "inf" and i + 1 < len(tokens) and tokens[i + 1] == "over":
            tokens[i] = "INF_OP"
    merged: list[str] = []
    for t in tokens:
        code = _CODE.search(merged[-1]) if merged else None
        call = merged[-1][code.start() :] if code else ""
        if call.count("(") > call.count(")"):
            merged[-1] += " " + t
        else:
            merged.append(t)
    return merged


def _claim_kinds(words: list[str]) -> list[str]:
    """Each word's kind (prose, math, code); "a" beside an operator is a variable: y = a / (a + b)."""
    kinds = [_token_kind(t) for t in words]
    for i, t in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        beside = (i and _OPERATOR_EDGE.search(words[i - 1])) or _OPERATOR_EDGE.search(after)
        if t == "a" and beside and (not after or kinds[i + 1] != "prose"):
            kinds[i] = "math"
    return kinds


def _claim_runs(words: list[str], kinds: list[str]) -> list[tuple[str, list[str]]]:
    """Consecutive words of one kind joined (code words stay apart; "slip 2:" ends a formula)."""
    runs: list[tuple[str, list[str]]] = []
    closed = True
    for t, kind in zip(words, kinds, strict=True):
        if runs and runs[-1][0] == kind and kind != "code" and not closed:
            runs[-1][1].append(t)
        else:
            runs.append((kind, [t]))
        closed = t[-1] in ":;" and _balanced(" ".join(runs[-1][1]))
    return runs


def _run_rst(kind: str, chunk: str) -> str:
    """One run of words as reStructuredText: prose as is, code as a literal, math as ``:math:``."""
    head, body, tail = _peel(chunk)
    if kind == "prose" or not body:
        return chunk
    if kind == "code":
        if body.startswith("(") and body.endswith(")"):
            head, body, tail = head + "(", body[1:-1], ")" + tail
        return f"{head}``{body}``{tail}"
    formulas = " ".join(f":math:`{f}`" for f in _breakable(ascii_to_latex(body)))
    return f"{head}{formulas}{tail}"


def _verify_record(profile: str) -> dict | None:
    """The steps of the record ``DIVERGENCES_VERIFY_RECORD`` names, where it holds these sources.

    CI builds the site after the wheel's ``divergences verify --record``: the catalogue then shows
    those verdicts instead of running every step a second time. Without the variable, or with a
    record of other sources or another profile, the steps run now.
    """
    from divergences.lab.verify.verify_record import read_record

    path = os.environ.get("DIVERGENCES_VERIFY_RECORD")
    if not path:
        return None
    recorded = read_record(path, profile=profile)
    if recorded is None:
        logger.info(f"{path}: not a record of these proofs, profile and versions; they run now")
    else:
        logger.info(f"the proof catalogue shows the verdicts of {path}")
    return recorded


class ProofCatalogue(Directive):
    """Renders every proof of the lectures with the result of each step, run now or recorded.

    The proofs are loaded as ``divergences verify`` loads them (the package
    ``divergences.lab.proofs``). Each gets its title and the claim of each step with their formulas
    rendered (:func:`claim_rst`), its claim as the module docstring states it (reStructuredText, so
    the formulas are rendered math), a link to its source file, and its steps with the result of
    running each one now, under the harness' Hypothesis profile, or that of a ``divergences verify
    --record`` of the same sources (:func:`_verify_record`). A step that does not hold fails the
    build.
    """

    has_content = False

    def run(self) -> list[nodes.Node]:
        """The catalogue's nodes: a section per proof, its steps run now or read from a record."""
        from divergences.lab.verify.proof_files import PROOFS_PACKAGE, packaged_proof_modules
        from divergences.testing.profiles import load_profile

        profile = load_profile()  # no deadline, derandomised: `divergences verify`'s examples
        try:
            self._recorded = _verify_record(profile)
        except ValueError as exc:
            raise self.error(str(exc)) from None
        modules = packaged_proof_modules()
        if not modules:
            raise self.error(f"{PROOFS_PACKAGE} has no proof_*.py files")
        env = self.state.document.settings.env
        docs = pathlib.Path(env.srcdir)
        out: list[nodes.Node] = []
        self._messages: list[nodes.Node] = []  # what the inline parser reports about a claim
        for module in modules:
            name = module.__name__.rsplit(".", 1)[1]
            path = pathlib.Path(module.__file__ or "")
            env.note_dependency(str(path))
            proof = module.PROOF
            section = nodes.section(ids=[nodes.make_id(name)], names=[nodes.make_id(name)])
            title, messages = self.state.inline_text(claim_rst(proof.title), self.lineno)
            section += nodes.title(proof.title, "", *title)
            section += messages
            _, _, body = (module.__doc__ or "").partition("\n")
            link = os.path.relpath(path, docs).replace(os.sep, "/")
            source = f"Source: :download:`proofs/{path.name} <{link}>`"
            text = [*textwrap.dedent(body).strip().splitlines(), "", source]
            self.state.nested_parse(StringList(text, source=str(path)), 0, section)
            section += self._steps_table(proof, path)
            out.append(section)
        return out + self._messages

    @staticmethod
    def _results(proof: Any, recorded: dict | None) -> dict[str, tuple[str, float]]:
        """Each step's result cell and seconds: from the record where it has them, else run now."""
        from divergences.lab.verify.verify_record import outcome_row, result_cell

        found = [recorded.get((proof.title, step.name)) for step in proof] if recorded else []
        rows = [row for row in found if row is not None]
        if not rows or len(rows) < len(found):
            rows = [outcome_row(outcome) for outcome in proof.run()]
        out: dict[str, tuple[str, float]] = {}
        for row in rows:
            if not row["holds"]:
                raise ValueError(f"step {row['claim']!r} does not hold: {result_cell(row)}")
            out[row["step"]] = (result_cell(row), row["seconds"])
        return out

    def _steps_table(self, proof: Any, path: pathlib.Path) -> nodes.table:
        table = nodes.table(classes=["dv-proof-steps"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (55, 10, 25, 10):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += _row(["step", "method", "result", "seconds"])
        body = nodes.tbody()
        group += body
        try:
            results = self._results(proof, self._recorded)
        except ValueError as exc:
            raise self.error(f"proof {path.stem}: {exc}") from None
        for step in proof:
            result, seconds = results[step.name]
            claim, messages = self.state.inline_text(claim_rst(step.claim), self.lineno)
            row = _row(["", step.method, result, f"{seconds:.2f}"])
            row[0][0] += claim
            body += row
            self._messages += messages
        return table


class RunCommand(Directive):
    """Runs ``divergences ARGS`` from the docs folder while building and shows what it printed.

    The argument is the command line after ``divergences``; ``:exit:`` is the exit status the
    page promises (0 by default): any other status fails the build, so the page cannot show a
    table that the command no longer prints. The command runs as ``python -m divergences``, as a
    user would run it, with figures drawn off-screen and Hypothesis' files in a temporary folder
    (so that nothing is written into the docs folder).
    """

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"exit": directives.nonnegative_int}  # noqa: RUF012 (docutils' interface)
    has_content = False

    def run(self) -> list[nodes.Node]:
        """The command and its output as a console block; a wrong exit status fails the build."""
        args = shlex.split(self.arguments[0])
        docs = _ROOT / "docs"
        build_env = self.state.document.settings.env
        for arg in args:
            if (docs / arg).exists():
                build_env.note_dependency(str(docs / arg))
        expected = self.options.get("exit", 0)
        returncode, printed = _command_output(args, docs)
        if returncode != expected:
            raise self.error(
                f"`divergences {self.arguments[0]}` exited {returncode}, the page says "
                f"{expected}:\n{printed[-3000:]}"
            )
        text = f"$ divergences {self.arguments[0]}\n{printed}\n$ echo $?\n{returncode}"
        block = nodes.literal_block(text, text, language="text", classes=["dv-output"])
        return [block]


def _command_output(args: list[str], docs: pathlib.Path) -> tuple[int, str]:
    """The exit status and output of ``divergences ARGS`` run in ``docs``."""
    with tempfile.TemporaryDirectory() as storage:
        env = {**os.environ, "MPLBACKEND": "Agg", "HYPOTHESIS_STORAGE_DIRECTORY": storage}
        result = subprocess.run(
            [sys.executable, "-m", "divergences", *args],
            cwd=docs,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    return result.returncode, (result.stdout + result.stderr).rstrip()


@functools.lru_cache(maxsize=4)
def training_run(data: str, game: str, steps: int, seed: int = 0) -> Any:
    """One training run of the lab, shared by the figures of a page (trained once per build).

    Read out every 300 steps, so that the figures and the animation have a point per 300 steps.
    """
    from divergences.lab.training import TrainingConfig, train

    config = TrainingConfig(data=data, game=game, steps=steps, seed=seed, eval_every=300)
    return train(config, progress=False)


@functools.lru_cache(maxsize=4)
def critic_sweep(thetas: tuple[float, ...], *, n: int, steps: int) -> Any:
    """The critic sweep of :func:`divergences.lab.critics.critic_sweep`, run once per build.

    At these ``thetas``, ``n`` and ``steps``, other options at their defaults.
    """
    from divergences.lab.critics import critic_sweep as sweep

    return sweep(thetas, n=n, steps=steps, progress=False)


def show(fig: Any) -> None:
    """Hands a figure built without pyplot to pyplot's figure managers.

    The lab's ``figure_*`` functions build figures without pyplot; the ``plot`` directive collects
    the figures it saves from pyplot's managers.
    """
    import matplotlib.pyplot as plt

    canvas = plt.figure(figsize=fig.get_size_inches()).canvas
    canvas.figure = fig
    fig.set_canvas(canvas)


class TrainingAnimation(Directive):
    """``.. dv-training-gif:: DATA GAME STEPS``: the run's GIF, written at build time."""

    required_arguments = 3
    has_content = False

    def run(self) -> list[nodes.Node]:
        """The animation of the training run as an image node, the GIF written at build."""
        from divergences.lab.training.figures import save_gif

        data, game, steps = self.arguments[0], self.arguments[1], int(self.arguments[2])
        env = self.state.document.settings.env
        static = pathlib.Path(env.app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        name = f"training_{data}_{game}_{steps}.gif"
        save_gif(training_run(data, game, steps), static / name)
        depth = env.docname.count("/")
        src = "../" * depth + "_static/" + name
        alt = f"{game} on {data}: samples over the critic, and the exact W1 against step"
        return [
            nodes.raw("", f'<img src="{src}" alt="{alt}" style="max-width:100%">', format="html")
        ]


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row


class Divergences(Directive):
    """``.. dv-divergences::``: the package's public functions that the page does not list.

    Every function of ``dv.__all__`` defined in the library's private modules and named in no
    ``autofunction`` line of the page gets one here, in the order of ``__all__``: a divergence
    added to the package appears on the API page with no line written for it.
    """

    has_content = False

    def run(self) -> list[nodes.Node]:
        """The ``autofunction`` entries, parsed in place."""
        env = self.state.document.settings.env
        page = pathlib.Path(env.doc2path(env.docname)).read_text(encoding="utf-8")
        listed = set(re.findall(r"autofunction:: divergences\.(\w+)", page))
        names = [
            name
            for name in dv.__all__
            if callable(getattr(dv, name))
            and not isinstance(getattr(dv, name), type)
            and getattr(dv, name).__module__.startswith("divergences._")
            and name not in listed
        ]
        lines = StringList([f".. autofunction:: divergences.{name}" for name in names], "dvdocs")
        container = nodes.container()
        self.state.nested_parse(lines, self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    """Registers the role and the directives with Sphinx."""
    app.add_role("dv", dv_role)
    app.add_directive("dv-divergences", Divergences)
    app.add_directive("dv-proofs", ProofCatalogue)
    app.add_directive("dv-training-gif", TrainingAnimation)
    app.add_directive("dv-run", RunCommand)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
