"""The package's error policy: one way to state a value rule, raised eagerly or under ``checked``.

Error policy (stated once; ``docs/conventions.md`` summarises it):

* **Bad input raises** :class:`ValueError`, and the message starts with the argument's name and
  says which rule it breaks (``"q does not sum to 1 along axis 0 ..."``). Nothing is ever silently
  repaired: a pmf that does not sum to one is an error, never renormalised.
* **Shape, dtype and type rules** (ranks, lengths, broadcasting, ``axis``, a generator that is not
  one) are static: they raise at call time, eagerly and while a transformation traces alike.
* **Value rules** (NaN, inf, signs, sums, a base, a critic's domain, a covariance's symmetry) are
  written once, as a boolean predicate and a message, with :func:`require`. On concrete input the
  predicate is evaluated on the host and a broken rule raises at once. On traced input (inside
  :func:`jax.jit`, :func:`jax.vmap`, :func:`jax.grad`) the same predicate and message become a
  :func:`jax.experimental.checkify.debug_check`: free and silent by default, raised as the very
  same ``ValueError`` (type and message) when the function is wrapped in :func:`checked`. The
  predicates are evaluated with NumPy or ``jax.numpy`` from one code path, so the two modes
  accept and refuse the same inputs. When several rules fail, the first in the function's order
  is reported, in both modes.
* **Low precision** (:mod:`.precision`): ``bfloat16`` and ``float16`` input is computed in
  ``float32`` and the result is returned in the input's dtype, with the tolerances of the
  input's dtype.
* **Solvers** (the W1 LPs) carry their status in their result or raise ``SolverError``.

The domain checks written with :func:`require` (pmfs, axes, bases, covariances) are in
:mod:`.checks`.

Under a trace a rule's message template travels inside the check as a :class:`Rule`, a ``str``
that also knows the exception it makes: ``checkify`` formats a failed check's message with the
template's ``format`` (its documented use of the message and its arguments), and
:func:`checked` asks it to (``Error.get``) with :data:`_RAISING` set, so that the first failed
rule raises its own exception, with its fields as NumPy arrays. A message that exists only when
the check runs (the error of a host callback) travels in a field as bytes: a
:class:`CarriedRule`. Only checkify's public API is used.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

__all__ = [
    "NEEDS_VALUES",
    "CarriedRule",
    "Rule",
    "SelectedRule",
    "checked",
    "decode_text",
    "encode_text",
    "fitted_text",
    "is_traced",
    "require",
    "runs_on_host",
]

F = TypeVar("F", bound=Callable[..., Any])


def is_traced(x: Any) -> bool:
    """True when ``x`` (or a leaf of it) is an abstract value inside a JAX transformation."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


#: Set while :func:`_raise_failed_check` reads a failed check: its :class:`Rule` then raises.
_RAISING: contextvars.ContextVar[bool] = contextvars.ContextVar("_RAISING", default=False)

#: What makes the exception of a failed rule from its text and fields (None: a ValueError).
ErrorMaker = Callable[[str, dict[str, Any]], Exception] | None


class Rule(str):
    """A rule's message template that knows the exception it makes.

    A ``str`` (``checkify`` keeps the message of a check as it is given), equal to another only
    with the same text and exception maker. Formatting it fills the ``{field}`` placeholders from
    the fields as NumPy arrays; while :data:`_RAISING` is set it raises the rule's exception
    instead of returning the text.
    """

    error: ErrorMaker

    def __new__(cls, template: str, error: ErrorMaker = None) -> Rule:
        rule = super().__new__(cls, template)
        rule.error = error
        return rule

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and str.__eq__(self, other) and self.error is other.error

    def __hash__(self) -> int:
        return hash((str(self), self.error))

    def format(self, *args: Any, **kwargs: Any) -> str:
        fields = {k: np.asarray(v) for k, v in kwargs.items()}
        text = str.format(self, *args, **fields)
        if _RAISING.get():
            raise ValueError(text) if self.error is None else self.error(text, fields)
        return text


class SelectedRule(Rule):
    """A rule whose message is one of several templates, chosen by the value of one field.

    One check for a failure of several kinds (a solver's failing statuses) instead of one check
    per kind: :meth:`format` takes the template of ``int(fields[key])`` and formats it as a
    :class:`Rule` does. Its text, for equality and hashing, lists every template with its index.
    """

    templates: dict[int, str]
    key: str

    def __new__(
        cls, templates: Mapping[int, str], key: str, error: ErrorMaker = None
    ) -> SelectedRule:
        text = "\n".join(f"{index}: {template}" for index, template in sorted(templates.items()))
        rule = cast(SelectedRule, super().__new__(cls, text, error))
        rule.templates = dict(templates)
        rule.key = key
        return rule

    def format(self, *args: Any, **kwargs: Any) -> str:
        chosen = self.templates[int(np.asarray(kwargs[self.key]))]
        return Rule(chosen, self.error).format(*args, **kwargs)


def fitted_text(text: str, size: int) -> str:
    """``text`` cut to at most ``size`` UTF-8 bytes (at a character, ending ``...``) where longer.

    The text a :class:`CarriedRule` can carry in a field of ``size`` bytes: the message an eager
    call raises is fitted the same way, so that both raise one text.
    """
    data = text.encode()
    if len(data) <= size:
        return text
    return data[: size - 3].decode(errors="ignore") + "..."


def encode_text(text: str, size: int) -> np.ndarray:
    """``text`` (fitted to ``size`` bytes, :func:`fitted_text`) as ``size`` UTF-8 bytes, zero-padded."""
    data = fitted_text(text, size).encode()
    out = np.zeros(size, np.uint8)
    out[: len(data)] = np.frombuffer(data, np.uint8)
    return out


def decode_text(data: Any) -> str:
    """The text of :func:`encode_text`'s bytes (the padding dropped)."""
    return bytes(np.asarray(data, np.uint8)).rstrip(b"\0").decode()


class CarriedRule(Rule):
    """A rule whose message is known only when the check runs: it travels in a field, as bytes.

    For a failure found in a host callback, whose exception's text exists only on the host: the
    callback returns the text as bytes (:func:`encode_text`), the check carries them in the field
    ``key``, and formatting reads the text from there (the other fields are still passed to the
    exception maker). Its own text, for equality and hashing, is the placeholder ``{key}``.
    """

    key: str

    def __new__(cls, key: str, error: ErrorMaker = None) -> CarriedRule:
        rule = cast(CarriedRule, super().__new__(cls, "{" + key + "}", error))
        rule.key = key
        return rule

    def format(self, *args: Any, **kwargs: Any) -> str:
        text = decode_text(kwargs[self.key])
        template = text.replace("{", "{{").replace("}", "}}")  # the text as it is, no field
        return Rule(template, self.error).format(*args, **kwargs)


def require(
    ok: Any,
    message: str,
    *,
    error: ErrorMaker = None,
    **values: Any,
) -> Any:
    """Enforces one value rule: the single implementation behind every check of the package.

    Args:
      ok: a boolean array, True where the rule holds: a NumPy array for concrete input, a traced
        JAX array inside a transformation. The rule holds when every entry is True.
      message: the error message, starting with the argument's name; ``{field}`` placeholders
        (with an optional format spec, ``{total:.6g}``) are filled from ``values``. A
        :class:`Rule` (a :class:`SelectedRule`: one message of several) is used as it is, with
        its own ``error``.
      error: makes the exception from the formatted message and the values (NumPy arrays); None
        for a ``ValueError``, the input error. For failures that are not the input's, such as a
        solver that stopped short (``SolverError`` with the status in ``values``).
      **values: arrays named in ``message`` or read by ``error``, or zero-argument callables
        returning them (computed only when the rule fails, for concrete input).

    Returns:
      ``ok`` itself, so that a caller can combine the rules it has checked into one predicate
      (for a host callback that must not run on input that broke a rule).

    Raises:
      ValueError: ``message``, formatted, when ``ok`` is concrete and has a False entry (or the
        exception ``error`` makes). For traced ``ok`` (or traced values) the rule is a
        :func:`jax.experimental.checkify.debug_check`, raised as the same exception by
        :func:`checked` (the template carries ``error``: no text is parsed or compared);
        rules checked in the same order therefore fail alike, eager and under
        ``checked(jit(...))``.
    """
    rule = message if isinstance(message, Rule) else Rule(message, error)
    if is_traced(ok) or any(is_traced(v) for v in values.values() if not callable(v)):
        fields = {k: v() if callable(v) else v for k, v in values.items()}
        checkify.debug_check(jnp.all(jnp.asarray(ok)), rule, **fields)
        return ok
    if not np.all(ok):
        fields = {k: np.asarray(v() if callable(v) else v) for k, v in values.items()}
        text = rule.format(**fields)
        raise ValueError(text) if rule.error is None else rule.error(text, fields)
    return ok


def runs_on_host(fn: F) -> F:
    """Marks ``fn`` as a host function, which :func:`checked` calls as it is.

    A host function (the sample estimates, the certified entries on densities) reads its input's
    values in Python and checks every rule eagerly, before any work, so there is nothing for
    :func:`checked` to add; traced under ``jit`` it cannot run at all (JAX's tracer error says
    the values are needed).
    """
    fn.__divergences_on_host__ = True  # type: ignore[attr-defined]
    return fn


def checked(fn: F) -> F:
    """Wraps ``fn`` so that the value checks run under :func:`jax.jit` too.

    Plain calls on concrete arrays are always checked on the host. Inside ``jit`` the value rules
    are compiled as :func:`jax.experimental.checkify.debug_check` calls that cost nothing unless
    asked for; this wrapper asks for them and turns a failure into the same :class:`ValueError`,
    with the same message, that a plain call raises. Called on concrete arrays, a function that
    is not a ``jax.jit`` one is compiled as one, once per shape and dtype of the array arguments
    (the other arguments static), and raises what ``checked(jax.jit(fn))`` raises (a W1 solver's
    stop: the ``SolverError`` of a traced call). Where the other arguments are not hashable, or
    ``fn`` reads its input's values with NumPy, it runs an operation at a time, as checkify does.
    A host function (:func:`runs_on_host`: the sample estimates, the certified entries on
    densities) checks every rule eagerly and is called as it is.

    The wrapper composes with the transformations either way round. ``checked(jit(f))`` and
    ``checked(vmap(f))`` raise once the program has run; ``vmap(checked(f))`` and
    ``grad(checked(f))`` raise the same ``ValueError`` (the failed check is reported through
    :func:`jax.debug.callback`, which these run eagerly); under an outer ``jit``,
    ``jit(checked(f))``, the check runs inside the compiled program, and a failure leaves it as
    the :class:`jax.errors.JaxRuntimeError` that XLA raises for a failed callback, whose message
    ends with the ``ValueError`` and its text: put ``checked`` outermost for the ``ValueError``
    itself.

    Example:
      >>> import jax, divergences as dv
      >>> safe_kl = dv.checked(jax.jit(dv.kl))
      >>> safe_kl([0.5, 0.5], [0.9, 0.2])  # doctest: +ELLIPSIS
      Traceback (most recent call last):
      ...
      ValueError: q does not sum to 1 along axis 0 (sum = 1.1, tolerance ...
    """
    if getattr(fn, "__divergences_on_host__", False):

        @functools.wraps(fn)
        def direct(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        return direct  # type: ignore[return-value]
    cfn = checkify.checkify(fn, errors=checkify.user_checks)
    # A function that is not a jax.jit one is compiled as one, so that checkify dispatches one
    # program instead of an operation at a time (its checks, numbered afresh on each call, would
    # also make it recompile every jitted part it meets on every call).
    one_program = not callable(getattr(fn, "lower", None))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
        where = tuple(isinstance(leaf, (jax.Array, np.ndarray)) for leaf in leaves)
        others = tuple(leaf for leaf, array in zip(leaves, where, strict=True) if not array)
        arrays = [leaf for leaf, array in zip(leaves, where, strict=True) if array]
        err = out = None
        if one_program and not is_traced(arrays) and _hashable(others):
            try:
                err, out = _CHECKED_PROGRAM(fn, tree, where, others, *arrays)
            except NEEDS_VALUES:
                pass  # fn reads its input's values in Python: run it on the concrete input
        if err is None:
            err, out = cfn(*args, **kwargs)
        if is_traced(err):
            # Inside an outer transformation the error is an abstract value: it is raised when
            # the values exist, by a callback (once per element under vmap).
            jax.debug.callback(_raise_failed_check, err)
        else:
            _raise_failed_check(err)
        return out

    return wrapper  # type: ignore[return-value]


# What tracing a function under jit raises when the function needs its input's values.
NEEDS_VALUES = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
)


def _hashable(values: tuple[Any, ...]) -> bool:
    """Whether ``values`` can key a compiled program (the options of a call, as static values)."""
    try:
        hash(values)
    except TypeError:
        return False
    return True


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _call_with_arrays(
    fn: Callable[..., Any],
    tree: Any,
    where: tuple[bool, ...],
    others: tuple[Any, ...],
    *arrays: Any,
) -> Any:
    """``fn`` on the arguments flattened to ``tree`` (``arrays`` and ``others`` by ``where``), jitted.

    The arrays are the program's arguments, the other leaves static: one program per function,
    shape, dtype and option, shared by every :func:`checked` wrapper of that function.
    """
    pick_array, pick_other = iter(arrays), iter(others)
    leaves = [next(pick_array) if array else next(pick_other) for array in where]
    args, kwargs = jax.tree_util.tree_unflatten(tree, leaves)
    return fn(*args, **kwargs)


# Checkify of one jitted call: its checked program is cached with the call's (checkify's cache
# of a jitted function's checked program is keyed by the function's traced program).
_CHECKED_PROGRAM = checkify.checkify(_call_with_arrays, errors=checkify.user_checks)


def _raise_failed_check(err: checkify.Error) -> None:
    """Raises the exception of a failed check; nothing where no check failed.

    ``err.get()`` formats the failed check's message (under ``vmap``, the first failing
    element's first): a :class:`Rule` raises its own exception there. A check written without
    :func:`require` gives its text, raised as a ``ValueError``.
    """
    token = _RAISING.set(True)
    try:
        text = err.get()
    finally:
        _RAISING.reset(token)
    if text is not None:
        raise ValueError(text)
