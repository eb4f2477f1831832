"""``divergences plot NAME``: one named figure, drawn as PNG and SVG."""

from __future__ import annotations

import argparse

import matplotlib

from divergences.lab.figures import figure_catalogue

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the subcommand, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "plot",
        help="draw one named figure (PNG and SVG)",
        description="Draws one figure. The papers' figures (wgan_figure2, wgan_gp_figure1_*) "
        "train the lab's critics first, a minute or more each on two cores, and print their "
        "caption: what to see.",
    )
    p.add_argument(
        "name",
        choices=sorted({*figure_catalogue.FIGURES, *figure_catalogue.TRAINED_FIGURES}),
        metavar="NAME",
        help="the figure: %(choices)s",
    )
    p.add_argument("--out", default="figures", help="folder for the files (default: figures)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draws the figure, prints its files and its caption."""
    matplotlib.use("Agg")
    for path in figure_catalogue.make_figures(args.out, [args.name]):
        print(path)
    if args.name in figure_catalogue.CAPTIONS:
        print(f"\n{figure_catalogue.CAPTIONS[args.name]}")
    return 0
