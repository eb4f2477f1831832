"""Checks run at the end of every HTML build (``make docs``): of the site and its sources.

The sources: the notebooks as stored, the proofs' formulas as the catalogue renders them. Each
check is a function of the finished site; each one that fails is a warning naming it, so that
``sphinx -W --keep-going`` reports all of them and exits with an error. The build must also
write nothing into the repository outside ``docs/_build`` and the caches: the files are listed
when the builder starts and again when the build ends. The notebooks are executed by the build
itself (myst-nb, ``nb_execution_raise_on_error``: an error in a cell is a build error).
"""

from __future__ import annotations

import html
import html.parser
import inspect
import json
import os
import pathlib
import re
from collections.abc import Callable
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

import divergences as dv

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Folders at the repository's root that builds, caches and other tools write (the notebooks'
# jupyter-cache is in build/); below the root, only __pycache__ is expected to change.
_IGNORED_AT_ROOT = {
    ".git",
    ".venv",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".mypy_cache",
    "build",
}
_REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
logger = logging.getLogger(__name__)


class Built:
    """The output folder of the build and the repository's files before and after it."""

    def __init__(self, out: pathlib.Path, before: dict[str, float], after: dict[str, float]):
        self.out, self.before, self.after = out, before, after

    def page(self, name: str) -> str:
        """The page's HTML."""
        return (self.out / f"{name}.html").read_text(encoding="utf-8")

    def text(self, name: str) -> str:
        """The page's text as a reader sees it: without tags and with entities decoded."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.page(name)))


def _snapshot() -> dict[str, float]:
    """Every file of the repository outside caches and build folders, with its mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = pathlib.Path(dirpath).relative_to(ROOT)
        dirnames[:] = [
            d
            for d in dirnames
            if d != "__pycache__"
            and not (
                rel == pathlib.Path(".") and (d in _IGNORED_AT_ROOT or d.endswith(".egg-info"))
            )
        ]
        if rel.parts[:2] == ("docs", "_build") or rel.parts[:1] == ("figures",):
            continue
        for f in filenames:
            out[str(rel / f)] = os.stat(os.path.join(dirpath, f)).st_mtime
    return out


class _Refs(html.parser.HTMLParser):
    """Collects every URL a page makes the browser load: scripts, stylesheets, images, frames."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and "src" in a:
            self.loaded.append(a["src"])
        elif tag == "link" and "href" in a:
            rel = a.get("rel", "")
            if any(r in rel for r in ("stylesheet", "preload", "icon", "modulepreload")):
                self.loaded.append(a["href"])
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])


def _every_page_is_there_and_the_notebooks_have_their_outputs(built: Built) -> None:
    for page in (
        "index",
        "getting_started",
        "conventions",
        "verify_your_own",
        "proofs",
        "api",
        "concepts/critics",
    ):
        assert (built.out / f"{page}.html").is_file(), page
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = built.page(f"notebooks/{nb.stem}")
        assert "cell_output" in text, f"{nb.name} rendered without outputs"
        assert "<img" in text, f"{nb.name} rendered without its figures"


def _pages_load_nothing_from_the_network(built: Built) -> None:
    # The pages, not the theme's templates that Sphinx copies into _static/ as they are.
    pages = sorted(p for p in built.out.rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 10
    remote = []
    for page in pages:
        refs = _Refs(page.read_text(encoding="utf-8"))
        remote += [f"{page.relative_to(built.out)}: {u}" for u in refs.loaded if _REMOTE.match(u)]
        # Every local script and stylesheet a page loads is in the output folder.
        for url in refs.loaded:
            if not _REMOTE.match(url) and not url.startswith("data:"):
                target = (page.parent / url.split("?")[0].split("#")[0]).resolve()
                assert target.is_file(), f"{page.relative_to(built.out)} loads missing {url}"
    for css in built.out.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"""(?:@import\s+|url\()\s*['"]?([^'")\s]+)""", text):
            if _REMOTE.match(url):
                remote.append(f"{css.relative_to(built.out)}: {url}")
    assert not remote, "\n".join(remote[:20])


def _math_is_rendered_by_the_bundled_mathjax(built: Built) -> None:
    for page in ("concepts/kl", "proofs", "verify_your_own"):
        text = built.page(page)
        scripts = [u for u in _Refs(text).loaded if "mathjax" in u.lower()]
        assert scripts and all(not _REMOTE.match(u) for u in scripts), (page, scripts)
        # MathJax finds the formulas by their delimiters inside elements of class "math".
        assert 'class="math' in text and "\\(" in text, page
    fonts = list((built.out / "_static" / "mathjax").rglob("*.woff"))
    assert fonts, "the bundled MathJax has no fonts"


def _index_has_the_install_line_the_commands_an_example_and_the_figure(built: Built) -> None:
    text = built.text("index")
    for needle in ('pip install ".[lab]"', "make verify", "make test", "dv.kl(p, q)"):
        assert needle in text, needle
    images = [u for u in _Refs(built.page("index")).loaded if u.endswith(".png")]
    assert any("wgan_figure1" in u for u in images), images


def _proof_catalogue_renders_each_claim_and_links_its_source(built: Built) -> None:
    text = built.page("proofs")
    links = _Refs(text).links
    files = sorted((ROOT / "proofs").glob("proof_*.py"))
    assert files
    for path in files:
        targets = [u for u in links if u.split("/")[-1] == path.name]
        assert targets, f"no link to {path.name}"
        assert (built.out / targets[0]).read_bytes() == path.read_bytes(), path.name
    # Every proof states its claim with formulas (MathJax markup), and every step held.
    assert text.count("\\(") >= len(files)
    assert "FAILS" not in text and "ERROR" not in text


def _verify_your_own_shows_a_passing_table_and_a_counterexample(built: Built) -> None:
    text = built.text("verify_your_own")
    assert "$ divergences verify examples/proof_my_claims.py" in text
    assert "all 5 steps hold" in text
    assert "$ divergences verify examples/proof_pinsker_upside_down.py" in text
    assert "1 of 2 steps FAILED" in text
    assert "counterexample (the drawn input that breaks it):" in text
    assert "[0] = array([" in text and "[1] = array([" in text, "the counterexample is missing"
    for name in ("proof_my_claims.py", "proof_pinsker_upside_down.py"):
        assert any(u.endswith(name) for u in _Refs(built.page("verify_your_own")).links), name


def _every_public_name_is_in_the_api_reference(built: Built) -> None:
    from sphinx.util.inventory import InventoryFile

    with open(built.out / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", os.path.join)
    documented = {name for entries in inventory.values() for name in entries}
    missing = [n for n in dv.__all__ if f"divergences.{n}" not in documented]
    assert not missing, f"not in docs/api.md: {missing}"
    # The laws are found, not listed: every concrete law divergences.continuous exports.
    laws = [
        name
        for name in dv.continuous.__all__
        if inspect.isclass(cls := getattr(dv.continuous, name))
        and issubclass(cls, dv.continuous.Law)
        and not inspect.isabstract(cls)
    ]
    assert len(laws) >= 10, laws
    missing = [n for n in laws if f"divergences.continuous.{n}" not in documented]
    assert not missing, f"laws not in docs/api.md: {missing}"
    concepts = built.text("concepts/continuous")
    missing = [n for n in laws if not re.search(rf"\b{n}\b", concepts)]
    assert not missing, f"laws not in docs/concepts/continuous.md: {missing}"
    lab = [
        "divergences.lab.proof.Proof",
        "divergences.lab.proof.Check",
        "divergences.lab.proof.over_examples",
        "divergences.lab.verify.verify",
        "divergences.lab.figures.divergence_figures.figure_wgan",
        "divergences.lab.figures.figure_catalogue.make_figures",
    ]
    assert not [n for n in lab if n not in documented], "the lab's API is not documented"


def _building_writes_nothing_into_the_repository(built: Built) -> None:
    assert set(built.after) == set(built.before), sorted(set(built.after) ^ set(built.before))
    changed = [f for f in built.before if built.after[f] != built.before[f]]
    assert not changed, changed


def _notebooks_are_stored_clean_enable_x64_first_and_write_no_files(built: Built) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 5, notebooks
    for path in notebooks:
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        code = ["".join(c["source"]) for c in cells]
        for cell in cells:
            assert cell["outputs"] == [], f"{path.name}: a cell has stored outputs"
            assert cell["execution_count"] is None, f"{path.name}: a cell has an execution count"
        assert 'jax.config.update("jax_enable_x64", True)' in code[0], path.name
        # Figures must show whatever MPLBACKEND the kernel inherits (the docs build sets Agg).
        assert code[0].startswith("%matplotlib inline"), path.name
        for source in code:
            for call in ("savefig(", "open(", ".write_text(", "to_csv("):
                assert call not in source, f"{path.name} writes a file with {call}"


#: Claims of proofs and the reStructuredText the catalogue renders them as.
_CLAIMS_RENDERED = (
    ("KL(p || q) >= 0", r":math:`\mathrm{KL}(p \,\|\, q)` :math:`\ge 0`"),
    (
        "The optimal discriminator is D* = p / (p + q)",
        r"The optimal discriminator is :math:`D^*` :math:`= p / (p + q)`",
    ),
    (
        "d/dy [a log y + b log(1 - y)] = 0 exactly at y = a / (a + b)",
        r":math:`d/dy [a \log y + b \log(1 - y)]` :math:`= 0` exactly at :math:`y` "
        r":math:`= a / (a + b)`",
    ),
    (
        "W1 = |theta| from dv.w1_primal and POT's exact solver",
        r":math:`W_1` :math:`= |\theta |` from ``dv.w1_primal`` and POT's exact solver",
    ),
    (
        "slip 2: min_D max_G is -inf, not -log 4",
        r"slip :math:`2`: :math:`\min_D \max_G` is :math:`-\infty`, not :math:`-\log 4`",
    ),
    (
        "inf over couplings = sup over critics; D* in {0, m}",
        r":math:`\inf` over couplings :math:`= \sup` over critics; :math:`D^*` in "
        r":math:`\{0, m\}`",
    ),
)

#: ASCII formulas and their LaTeX.
_FORMULAS = (
    ("sqrt(JS(p || q)) <= 1e-3", r"\sqrt{\mathrm{JS}(p \,\|\, q)} \le 10^{-3}"),
    ("KL(p_hat || q) != inf", r"\mathrm{KL}(\hat{p} \,\|\, q) \ne \infty"),
    ("x ~ N(mu, sigma^2)", r"x \sim N(\mu , \sigma ^2)"),
)


def _claims_are_words_and_formulas(built: Built) -> None:
    from dvdocs import ascii_to_latex, claim_rst

    for claim, rst in _CLAIMS_RENDERED:
        assert claim_rst(claim) == rst, (claim, claim_rst(claim), rst)
    for formula, latex in _FORMULAS:
        assert ascii_to_latex(formula) == latex, (formula, ascii_to_latex(formula), latex)


def _no_formula_of_a_proof_is_left_as_plain_text(built: Built) -> None:
    from docutils.core import publish_doctree
    from dvdocs import claim_rst

    from divergences.lab.verify.proof_files import load_proofs

    claims = [text for proof in load_proofs() for text in (proof.title, *(s.claim for s in proof))]
    assert claims
    for claim in claims:
        rst = claim_rst(claim)
        text = re.sub(r":math:`[^`]*`|``[^`]*``", " ", rst)
        for ascii_ in ("||", "<=", ">=", "!=", "->", "_", "^", "*", "="):
            assert ascii_ not in text, (ascii_, text)
        for formula in re.findall(r":math:`([^`]*)`", rst):
            opened = formula.count("{") - formula.count(r"\{")
            assert opened == formula.count("}") - formula.count(r"\}"), formula
        doctree = publish_doctree(rst, settings_overrides={"report_level": 2, "halt_level": 5})
        problems = [n.astext() for n in doctree.findall() if n.tagname == "system_message"]
        assert problems == [], (rst, problems)


CHECKS: tuple[Callable[[Built], None], ...] = (
    _every_page_is_there_and_the_notebooks_have_their_outputs,
    _pages_load_nothing_from_the_network,
    _math_is_rendered_by_the_bundled_mathjax,
    _index_has_the_install_line_the_commands_an_example_and_the_figure,
    _proof_catalogue_renders_each_claim_and_links_its_source,
    _verify_your_own_shows_a_passing_table_and_a_counterexample,
    _every_public_name_is_in_the_api_reference,
    _building_writes_nothing_into_the_repository,
    _notebooks_are_stored_clean_enable_x64_first_and_write_no_files,
    _claims_are_words_and_formulas,
    _no_formula_of_a_proof_is_left_as_plain_text,
)


_BEFORE: dict[str, float] = {}


def _before(app: Sphinx) -> None:
    _BEFORE.update(_snapshot())


def _after(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    built = Built(pathlib.Path(app.outdir), dict(_BEFORE), _snapshot())
    for check in CHECKS:
        try:
            check(built)
        except AssertionError as exc:
            logger.warning("site check %s failed: %s", check.__name__.strip("_"), exc)


def setup(app: Sphinx) -> dict[str, Any]:
    """Registers the snapshot of the repository before the build and the checks after it."""
    app.connect("builder-inited", _before)
    app.connect("build-finished", _after)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
