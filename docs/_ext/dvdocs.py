"""Sphinx helpers that take every number and every proof listing from the code.

* the role ``dv`` evaluates a Python expression at build time and inserts the result:
  ``{dv}`float(dv.kl([0.8, 0.2], [0.3, 0.7])) | .4f``` renders ``0.5341``. The expression sees
  ``dv`` (the package), ``np`` and ``math``; the text after ``|`` is a format spec.
* the directive ``dv-proofs`` renders the catalogue of ``proofs/proof_*.py``: each proof's title
  and claim (its docstring, with rendered formulas), a link to its source, its steps with their
  method, and the result of running each step now, or, within a test session that has run the
  step already (``DV_PROOF_RESULTS`` names the folder of its results), that run's result.
* the directive ``dv-run`` runs a ``divergences`` command while building and shows its output,
  failing the build when the exit status is not the one the page promises.
* :func:`training_run` trains one configuration of the training lab once per build (the plots of
  a page share it), and the directive ``dv-training-gif`` writes that run's animation into the
  build's ``_static`` folder (never into the source tree) and shows it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.resources
import math
import os
import pathlib
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

import divergences as dv

_NAMESPACE: dict[str, Any] = {"dv": dv, "np": np, "math": math}
_ROOT = pathlib.Path(__file__).resolve().parents[2]


def dv_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options=None, content=None
):
    expr, _, spec = text.partition("|")
    try:
        value = eval(expr.strip(), dict(_NAMESPACE))  # the docs' own expressions
        rendered = format(value, spec.strip())
    except Exception as exc:
        msg = inliner.reporter.error(f"dv role: {expr.strip()!r} failed: {exc}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [nodes.literal(rawtext, rendered)], []


class ProofCatalogue(Directive):
    """Renders every proof of the lectures, loaded as ``divergences verify`` loads them (the package
    ``divergences.lab.proofs``): its claim as the module docstring states it (reStructuredText, so
    the formulas are rendered math), a link to its source file, and its steps with the result of
    running each one now, under the harness' Hypothesis profile. A step that does not hold fails
    the build."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from divergences.lab.verify import PROOFS_PACKAGE
        from divergences.testing.profiles import load_profile

        load_profile()  # no deadline, derandomised: the same examples as `divergences verify`
        names = sorted(
            entry.name[:-3]
            for entry in importlib.resources.files(PROOFS_PACKAGE).iterdir()
            if entry.name.startswith("proof_") and entry.name.endswith(".py")
        )
        if not names:
            raise self.error(f"{PROOFS_PACKAGE} has no proof_*.py files")
        env = self.state.document.settings.env
        docs = pathlib.Path(env.srcdir)
        out: list[nodes.Node] = []
        for name in names:
            module = importlib.import_module(f"{PROOFS_PACKAGE}.{name}")
            path = pathlib.Path(module.__file__ or "")
            env.note_dependency(str(path))
            proof = module.PROOF
            section = nodes.section(ids=[nodes.make_id(name)], names=[nodes.make_id(name)])
            section += nodes.title(text=proof.title)
            _, _, body = (module.__doc__ or "").partition("\n")
            link = os.path.relpath(path, docs).replace(os.sep, "/")
            source = f"Source: :download:`proofs/{path.name} <{link}>`"
            text = [*textwrap.dedent(body).strip().splitlines(), "", source]
            self.state.nested_parse(StringList(text, source=str(path)), 0, section)
            section += self._steps_table(proof, path)
            out.append(section)
        return out

    @staticmethod
    def _results(proof: Any) -> dict[str, tuple[str, float]]:
        """Each step's result cell and seconds: recorded by the test session where it ran the
        step (only steps that held are recorded), else from running the step now."""
        from divergences.lab.proof import Proof
        from divergences.testing.recorded import recorded

        folder = os.environ.get("DV_PROOF_RESULTS")
        out: dict[str, tuple[str, float]] = {}
        for step in proof:
            r = recorded(folder, step.proof, step.name) if folder else None
            if r is not None:
                out[step.name] = (
                    f"holds: error {r['error']:.1e} {r['relation']} {r['tolerance']:.0e}",
                    r["seconds"],
                )
        rest = Proof(proof.title, claim=proof.claim)
        rest.steps = [step for step in proof if step.name not in out]
        for outcome in rest.run():
            step = outcome.step
            if outcome.check is None:
                result = f"ERROR: {outcome.exception}"
            else:
                c = outcome.check
                verdict = "holds" if outcome.holds else "FAILS"
                result = f"{verdict}: error {c.error:.1e} {c.relation} {c.tolerance:.0e}"
            if not outcome.holds:
                raise ValueError(f"step {step.claim!r} does not hold: {result}")
            out[step.name] = (result, outcome.seconds)
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
            results = self._results(proof)
        except ValueError as exc:
            raise self.error(f"proof {path.stem}: {exc}") from None
        for step in proof:
            result, seconds = results[step.name]
            body += _row([step.claim, step.method, result, f"{seconds:.2f}"])
        return table


class RunCommand(Directive):
    """Runs ``divergences ARGS`` from the docs folder while building and shows what it printed.

    The argument is the command line after ``divergences``; ``:exit:`` is the exit status the
    page promises (0 by default): any other status fails the build, so the page cannot show a
    table that the command no longer prints. The command runs as ``python -m divergences`` with
    this checkout first on the import path.
    """

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"exit": directives.nonnegative_int}  # noqa: RUF012 (docutils' interface)
    has_content = False

    def run(self) -> list[nodes.Node]:
        args = shlex.split(self.arguments[0])
        docs = _ROOT / "docs"
        build_env = self.state.document.settings.env
        for arg in args:
            if (docs / arg).exists():
                build_env.note_dependency(str(docs / arg))
        expected = self.options.get("exit", 0)
        python_path = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
        with tempfile.TemporaryDirectory() as storage:
            # Hypothesis keeps a cache in .hypothesis/ under the working directory unless told
            # otherwise: here, a temporary folder, so that building writes nothing into docs/.
            env = {
                **os.environ,
                "PYTHONPATH": python_path,
                "MPLBACKEND": "Agg",
                "HYPOTHESIS_STORAGE_DIRECTORY": storage,
            }
            result = subprocess.run(
                [sys.executable, "-m", "divergences", *args],
                cwd=docs,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        printed = (result.stdout + result.stderr).rstrip()
        if result.returncode != expected:
            raise self.error(
                f"`divergences {self.arguments[0]}` exited {result.returncode}, the page says "
                f"{expected}:\n{printed[-3000:]}"
            )
        text = f"$ divergences {self.arguments[0]}\n{printed}\n$ echo $?\n{result.returncode}"
        block = nodes.literal_block(text, text, language="text", classes=["dv-output"])
        return [block]


@functools.lru_cache(maxsize=4)
def training_run(data: str, game: str, steps: int, seed: int = 0) -> Any:
    """One training run of the lab, shared by the figures of a page (built once per build)."""
    from divergences.lab.training import TrainingConfig, train

    return train(TrainingConfig(data=data, game=game, steps=steps, seed=seed), progress=False)


def show(fig: Any) -> None:
    """Hands a figure built without pyplot (as the lab's ``figure_*`` functions build them) to
    pyplot's figure managers, where the ``plot`` directive collects the figures it saves."""
    import matplotlib.pyplot as plt

    canvas = plt.figure(figsize=fig.get_size_inches()).canvas
    canvas.figure = fig
    fig.set_canvas(canvas)


class TrainingAnimation(Directive):
    """``.. dv-training-gif:: DATA GAME STEPS``: the run's GIF, written at build time."""

    required_arguments = 3
    has_content = False

    def run(self) -> list[nodes.Node]:
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


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_role("dv", dv_role)
    app.add_directive("dv-proofs", ProofCatalogue)
    app.add_directive("dv-training-gif", TrainingAnimation)
    app.add_directive("dv-run", RunCommand)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
