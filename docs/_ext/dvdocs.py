"""Sphinx helpers that take every number and every proof listing from the code.

* the role ``dv`` evaluates a Python expression at build time and inserts the result:
  ``{dv}`float(dv.kl([0.8, 0.2], [0.3, 0.7])) | .4f``` renders ``0.5341``. The expression sees
  ``dv`` (the package), ``np`` and ``math``; the text after ``|`` is a format spec.
* the directive ``dv-proofs`` renders the catalogue of ``proofs/proof_*.py``: each proof's title
  and claim, its steps with their method, and the result of running each step now.
* :func:`training_run` trains one configuration of the training lab once per build (the plots of
  a page share it), and the directive ``dv-training-gif`` writes that run's animation into the
  build's ``_static`` folder (never into the source tree) and shows it.
"""

from __future__ import annotations

import functools
import importlib
import math
import pathlib
from typing import Any

import numpy as np
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx

import divergences as dv

_NAMESPACE: dict[str, Any] = {"dv": dv, "np": np, "math": math}


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
    """Renders every proof with its claim, its steps and their results."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        root = pathlib.Path(__file__).resolve().parents[2]
        files = sorted((root / "proofs").glob("proof_*.py"))
        if not files:
            return [nodes.paragraph(text="This checkout has no proofs/ folder yet.")]
        out: list[nodes.Node] = []
        for path in files:
            module = importlib.import_module(f"proofs.{path.stem}")
            proof = module.PROOF
            section = nodes.section(ids=[nodes.make_id(path.stem)])
            section += nodes.title(text=proof.title)
            section += nodes.paragraph(text=f"Claim: {proof.claim}")
            section += nodes.paragraph(text=f"Source: proofs/{path.name}")
            table = nodes.table()
            group = nodes.tgroup(cols=4)
            table += group
            for width in (55, 10, 25, 10):
                group += nodes.colspec(colwidth=width)
            head = nodes.thead()
            group += head
            head += _row(["check", "method", "result", "seconds"])
            body = nodes.tbody()
            group += body
            for outcome in proof.run():
                step = outcome.step
                if outcome.check is None:
                    result = f"ERROR: {outcome.exception}"
                else:
                    c = outcome.check
                    verdict = "holds" if outcome.holds else "FAILS"
                    result = f"{verdict}: error {c.error:.1e} {c.relation} {c.tolerance:.0e}"
                body += _row([step.claim, step.method, result, f"{outcome.seconds:.2f}"])
                if not outcome.holds:
                    raise self.error(f"proof {path.stem}: step {step.claim!r} does not hold")
            section += table
            out.append(section)
        return out


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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
