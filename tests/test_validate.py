"""``zoo.validate``: each check passes good input through in its plain type and refuses bad
input with the message its callers' users (and tests) already know."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from zoo import validate


def test_integer_checks_accept_counts_and_return_ints():
    assert validate.positive_int("chains", np.int64(3)) == 3
    assert type(validate.positive_int("chains", np.int64(3))) is int
    assert validate.int_at_least("n_samples", 10, 10) == 10
    assert validate.int_at_least("repeats", 2, 2, noun="integer") == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: validate.positive_int("chains", 0), "chains must be a positive int, got 0"),
        (lambda: validate.positive_int("draws", 2.5), "draws must be a positive int, got 2.5"),
        (lambda: validate.positive_int("K", True), "K must be a positive int, got True"),
        (lambda: validate.int_at_least("n", 9, 10), "n must be an int >= 10, got 9"),
        (
            lambda: validate.int_at_least("repeats", 1, 2, noun="integer"),
            "repeats must be an integer >= 2, got 1",
        ),
        (lambda: validate.int_at_least("n", "3", 1), "n must be an int >= 1, got '3'"),
        (lambda: validate.fraction("alpha", 1), r"alpha must be a number in \(0, 1\), got 1"),
        (lambda: validate.fraction("alpha", True), r"alpha must be a number in \(0, 1\), got True"),
        (
            lambda: validate.choice("huge", ("small", "full"), "size"),
            r"unknown size 'huge'; expected one of \['small', 'full'\]",
        ),
        (
            lambda: validate.some_of(["a", "x"], ("a", "b"), "dataset", "datasets"),
            r"unknown dataset 'x'; expected some of \['a', 'b'\]",
        ),
        (
            lambda: validate.some_of([], ("a", "b"), "dataset", "datasets"),
            "datasets must name at least one dataset",
        ),
    ],
)
def test_bad_input_names_expected_and_got(call, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        call()


def test_fraction_choice_and_some_of_pass_good_input_through():
    assert validate.fraction("alpha", 0.05) == 0.05
    assert validate.choice("full", ("small", "full"), "size") == "full"
    assert validate.some_of(["b", "a"], ("a", "b"), "dataset", "datasets") == ("b", "a")


def test_int_flag_words_its_message_with_and_without_the_flag():
    assert validate.int_flag(1)("4") == 4
    cases = [
        (validate.int_flag(1), "x", "expected an integer, got 'x'"),
        (validate.int_flag(1), "0", "expected an integer >= 1, got 0"),
        (validate.int_flag(1, "--n"), "ten", "--n must be an integer, got 'ten'"),
        (validate.int_flag(0, "--seed"), "-1", "--seed must be >= 0, got -1"),
    ]
    for parse, text, message in cases:
        with pytest.raises(argparse.ArgumentTypeError, match=f"^{message}$"):
            parse(text)
