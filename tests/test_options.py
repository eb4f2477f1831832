"""The scalar-option validators: integers at least a minimum, finite numbers above a bound, never a bool."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences._src.options import (
    integer_option,
    is_finite_number,
    is_integer,
    level_option,
    number_option,
    seed_option,
)

#: Anything a caller might pass: ints of every size and sign, NumPy integers, bools (Python and
#: NumPy), integral and other floats, strings of digits, None, containers.
VALUES = st.one_of(
    st.integers(),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.integers(0, 255).map(np.uint8),
    st.booleans(),
    st.booleans().map(np.bool_),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5).map(float),
    st.text("0123456789", min_size=1, max_size=3),
    st.none(),
    st.just([1]),
)


@given(VALUES, st.sampled_from([0, 1, 3]), st.booleans())
def test_accepts_exactly_the_integers_at_or_above_the_minimum(value, minimum, none) -> None:
    """An int of at least ``minimum`` comes back as a Python int; None where allowed; the rest raise."""
    integral = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if value is None and none:
        assert integer_option(value, "opt", minimum=minimum, none=none) is None
    elif integral and value >= minimum:
        got = integer_option(value, "opt", minimum=minimum, none=none)
        assert type(got) is int and got == value
        assert is_integer(value)
    else:
        with pytest.raises(ValueError) as info:
            integer_option(value, "opt", minimum=minimum, none=none)
        message = str(info.value)
        assert message.startswith("opt must be ") and message.endswith(f", got {value!r}")
        assert ("or None" in message) == none


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "steps must be a positive integer, got True"),
        ({"minimum": 0}, "steps must be a non-negative integer, got True"),
        ({"minimum": 2}, "steps must be an integer >= 2, got True"),
        ({"none": True}, "steps must be a positive integer or None, got True"),
        ({"none": True, "note": "None: all"}, "steps must be a positive integer or None (None: all), got True"),
    ],
)  # fmt: skip
def test_the_message_names_the_option_the_rule_and_the_value(kwargs, message) -> None:
    """One message shape: the name, the rule (with None and a note where given), the value."""
    with pytest.raises(ValueError) as info:
        integer_option(True, "steps", **kwargs)
    assert str(info.value) == message


def test_is_integer() -> None:
    """Python and NumPy integers are; bools, floats and strings are not."""
    assert is_integer(3) and is_integer(np.int32(-1)) and is_integer(np.uint64(7))
    assert not any(is_integer(v) for v in (True, np.bool_(False), 2.0, "2", None, np.float64(1)))


@given(
    st.one_of(VALUES, st.floats(width=32).map(np.float32), st.floats().map(np.float64)),
    st.sampled_from([None, 0.0, 1.0, -2.5]),
    st.booleans(),
)
def test_accepts_exactly_the_finite_numbers_beyond_the_bound(value, above, inclusive) -> None:
    """A finite real (not a bool) beyond ``above`` comes back as a Python float; the rest raise."""
    real = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    finite = real and (
        abs(int(value)) <= sys.float_info.max
        if isinstance(value, int | np.integer)
        else bool(np.isfinite(value))
    )
    assert is_finite_number(value) == finite
    beyond = finite and (above is None or (value >= above if inclusive else value > above))
    if beyond:
        got = number_option(value, "opt", above=above, inclusive=inclusive)
        assert type(got) is float and got == float(value)
    else:
        with pytest.raises(ValueError) as info:
            number_option(value, "opt", above=above, inclusive=inclusive)
        assert str(info.value).startswith("opt must be a finite number")
        assert str(info.value).endswith(f", got {value!r}")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "clip must be a finite number > 0, got True"),
        ({"inclusive": True}, "clip must be a finite number >= 0, got True"),
        ({"above": 1.5}, "clip must be a finite number > 1.5, got True"),
        ({"above": None}, "clip must be a finite number, got True"),
        ({"below": 0.5}, "clip must be a finite number in (0, 0.5), got True"),
        ({"above": 2.0**-53, "inclusive": True, "below": 0.5},
         "clip must be a finite number in [1.1102230246251565e-16, 0.5), got True"),
        ({"above": None, "below": 1.0, "note": "a note"},
         "clip must be a finite number in (-inf, 1) (a note), got True"),
    ],
)  # fmt: skip
def test_a_number_options_message_names_the_option_the_rule_and_the_value(kwargs, message) -> None:
    """One message shape for real options: the name, the rule, the value."""
    with pytest.raises(ValueError) as info:
        number_option(True, "clip", **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("sign", [1, -1])
def test_a_number_past_float64s_range_is_not_finite(sign) -> None:
    """An int or a long double whose float64 would be inf is refused, never returned as inf."""
    with np.errstate(over="ignore"):  # where a long double is a double, it is inf already
        long_double = np.longdouble(2.0) ** 1100
    for value in (sign * 10**400, sign * 2**1024, sign * long_double):
        assert not is_finite_number(value)
        with pytest.raises(ValueError, match=r"^clip must be a finite number, got "):
            number_option(value, "clip", above=None)
    assert is_finite_number(sign * int(sys.float_info.max)) and is_finite_number(sign * 2**1023)


@pytest.mark.parametrize(
    "value", [0.0, 1.0, -0.5, 1.5, math.nan, True, "0.5", None, np.float64(1.0)]
)
def test_a_level_is_a_number_strictly_inside_the_unit_interval(value) -> None:
    """The level's one rule and message; its ends, NaN, bools and text are refused."""
    with pytest.raises(ValueError) as info:
        level_option(value, note="the coverage")
    assert (
        str(info.value) == f"level must be a finite number in (0, 1) (the coverage), got {value!r}"
    )
    assert level_option(np.float32(0.5)) == 0.5 and level_option(0.95) == 0.95


@pytest.mark.parametrize("value", [-1, 1.0, True, None, "3", np.int64(-2)])
def test_a_seed_is_a_non_negative_integer(value) -> None:
    with pytest.raises(ValueError) as info:
        seed_option(value, note="the split")
    assert str(info.value) == f"seed must be a non-negative integer (the split), got {value!r}"
    assert seed_option(0) == 0 and seed_option(np.uint8(7)) == 7
