"""Data: the digits split, CSV/NPY files read as text and state names, network samples,
and the errors that name the column, row and value before any model is built."""

import math

import numpy as np
import pytest

import graphs
from graphs import DAG, Variable
from zoo.data import (
    Dataset,
    conform,
    digits,
    digits_split,
    load_csv,
    load_data,
    load_npy,
    sample_network,
    save_csv,
)


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def split():
    return digits_split()


def test_digits_split_is_fixed_binary_and_labelled(split):
    train, test = split
    assert (train.n_items, test.n_items) == (1437, 360)
    assert train.n_vars == test.n_vars == 64 and train.shape == (8, 8)
    for part in (train, test):
        assert set(np.unique(part.x)) == {0, 1} and part.cards == (2,) * 64
        assert set(np.unique(part.y)) == set(range(10)) and part.label_card == 10
    again_train, again_test = digits_split()
    assert np.array_equal(again_train.x, train.x) and np.array_equal(again_test.y, test.y)
    whole = digits()
    # a partition of the 1,797 images: every label count and pixel total adds up
    assert np.array_equal(np.bincount(train.y) + np.bincount(test.y), np.bincount(whole.y))
    assert train.x.sum() + test.x.sum() == whole.x.sum()


def test_load_data_dispatch(tmp_path, split):
    assert load_data("digits").n_items == 1797
    with pytest.raises(ValueError, match=r"unknown data file type '\.txt'"):
        load_data(tmp_path / "data.txt")
    with pytest.raises(ValueError, match="data file not found"):
        load_data(tmp_path / "missing.csv")
    asia = graphs.load_network("asia")
    assert load_data("sample:50", asia).n_items == 50
    with pytest.raises(ValueError, match="sample:N"):
        load_data("sample:x", asia)


# -- CSV ---------------------------------------------------------------------------------


@pytest.fixture
def odd_states():
    """A network whose states are words that CSV readers like to turn into missing values."""
    a = Variable("a", 3, states=("None", "NA", "yes"))
    b = Variable("b", 2, states=("null", "0"))
    cpds = {"a": np.array([0.2, 0.3, 0.5]), "b": np.array([[0.9, 0.5, 0.1], [0.1, 0.5, 0.9]])}
    return DAG([a, b], [("a", "b")], name="odd", cpds=cpds)


def test_csv_state_names_round_trip_as_states(tmp_path, odd_states):
    data = sample_network(odd_states, 300, seed=3)
    path = save_csv(data, tmp_path / "odd.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "a,b" and {"None", "NA"} <= {line.split(",")[0] for line in lines[1:]}
    back = load_csv(path, odd_states)
    assert np.array_equal(back.x, data.x) and back.names == ("a", "b")
    assert back.states["a"] == ("None", "NA", "yes") and back.cards == (3, 2)
    # "0" is the *second* state of b, not the code 0
    row = write(tmp_path / "one.csv", "b,a\n0,NA\nnull,None\n")
    one = load_csv(row, odd_states)
    assert one.x.tolist() == [[1, 1], [0, 0]]


def test_csv_codes_labels_and_inferred_cards(tmp_path):
    path = write(tmp_path / "codes.csv", "x0,x1,x2,x3,label\n0,1,0,2,3\n1,1,0,0,0\n\n")
    data = load_csv(path)
    assert data.names == ("x0", "x1", "x2", "x3") and data.cards == (2, 2, 2, 3)
    assert data.y.tolist() == [3, 0] and data.label_card == 4 and data.shape == (2, 2)
    nb = graphs.naive_bayes(4, classes=4)
    with pytest.raises(ValueError, match=r"column 'x3' has value 2 at line 2.*binary \(0/1\)"):
        conform(data, nb)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("x0,x1\n0,1\n1,nan\n", r"column 'x1', line 3: 'nan' is not an integer state code"),
        ("x0,x1\n0,inf\n", r"column 'x1', line 2: 'inf'"),
        ("x0,x1\n0,\n", r"column 'x1', line 2: '' is not an integer"),
        ("x0,x1\n0,-1\n", r"column 'x1', line 2: state code -1 is out of range"),
        ("x0,x1\n0,1\n1,0,1\n", r"line 3 has 3 values but the header names 2 columns"),
        ("x0,x1\n", "the data are empty"),
        ("", "the file is empty"),
        ("x0,x0\n0,1\n", "column 'x0' appears twice"),
        ("x0,,x2\n0,1,1\n", "header column 2 has no name"),
        ("y,label,x0\n0,1,1\n", "both 'y' and 'label'"),
    ],
)
def test_csv_errors_name_the_column_and_value(tmp_path, text, match):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=match):
        load_csv(path)


def test_csv_with_a_network_checks_states_and_columns(tmp_path):
    asia = graphs.load_network("asia")
    good = save_csv(sample_network(asia, 20, seed=0), tmp_path / "asia.csv")
    text = good.read_text().splitlines()
    bad_state = text[:2] + ["maybe" + text[2][text[2].index(",") :]] + text[3:]
    path = write(tmp_path / "state.csv", "\n".join(bad_state) + "\n")
    with pytest.raises(ValueError, match=r"column 'asia', line 3: unknown state 'maybe'"):
        load_csv(path, asia)
    sample = sample_network(asia, 20, seed=0)
    codes = "\n".join([",".join(sample.names), *(",".join(map(str, r)) for r in sample.x)])
    path = write(tmp_path / "codes.csv", codes + "\n")
    assert np.array_equal(load_csv(path, asia).x, sample.x)  # codes where no state is named
    mixed = codes.replace("\n1,", "\nno,", 1)
    path = write(tmp_path / "mixed.csv", mixed + "\n")
    with pytest.raises(ValueError, match=r"column 'asia', line \d+: unknown state '1'"):
        load_csv(path, asia)
    path = write(tmp_path / "extra.csv", "asia,smoke,wings\nyes,no,no\n")
    with pytest.raises(ValueError, match="column 'wings' is not an observed variable"):
        load_csv(path, asia)
    path = write(tmp_path / "missing.csv", "asia,smoke\nyes,no\n")
    with pytest.raises(ValueError, match="no column for variable 'tub'"):
        load_csv(path, asia)


def test_conform_checks_width_reorders_and_renames(tmp_path):
    path = write(tmp_path / "w.csv", "a,b,c\n0,1,0\n1,1,1\n")
    data = load_csv(path)
    with pytest.raises(ValueError, match=r"the data have 3 columns .* 'independent' has 4"):
        conform(data, graphs.independent(4))
    pixels = conform(data, graphs.independent(3))  # pixel families: columns in file order
    assert pixels.names == ("x0", "x1", "x2") and np.array_equal(pixels.x, data.x)
    asia = graphs.load_network("asia")
    sample = sample_network(asia, 30, seed=1)
    order = list(reversed(range(sample.n_vars)))
    shuffled = Dataset(
        sample.x[:, order], tuple(np.array(sample.names)[order]), sample.cards, states=sample.states
    )
    assert np.array_equal(conform(shuffled, asia).x, sample.x)
    with pytest.raises(ValueError, match="needs class labels for 'y'"):
        conform(pixels, graphs.naive_bayes(3, classes=2))


# -- NPY ---------------------------------------------------------------------------------


def test_npy_and_npz(tmp_path):
    x = np.array([[True, False, True, False], [False, False, True, True]])
    np.save(tmp_path / "b.npy", x)
    data = load_npy(tmp_path / "b.npy")
    assert data.names == ("x0", "x1", "x2", "x3") and data.x.dtype == np.int32
    assert data.cards == (2,) * 4 and data.shape == (2, 2)
    np.savez(tmp_path / "l.npz", x=x.astype(int), y=np.array([0, 2]))
    assert load_data(tmp_path / "l.npz").y.tolist() == [0, 2]


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.array([[0.0, 1.0], [1.0, math.nan]]), r"column 'x1' has nan at row 1"),
        (np.array([[0.0, math.inf]]), r"column 'x1' has inf at row 0"),
        (np.array([[0.0, 0.5]]), r"column 'x1' has non-integer value 0.5"),
        (np.array([[0, -3]]), r"column 'x1' has value -3 at row 0"),
        (np.zeros((0, 3)), "the data are empty"),
        (np.zeros(4), "expected a 2-D array"),
        (np.array([["a", "b"]]), "values must be numbers"),
    ],
)
def test_npy_errors_name_the_column_and_value(tmp_path, array, match):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(ValueError, match=match):
        load_npy(tmp_path / "bad.npy")


def test_npy_binary_model_rejects_a_two(tmp_path):
    np.save(tmp_path / "two.npy", np.array([[0, 1, 1, 0], [1, 0, 2, 0]]))
    data = load_npy(tmp_path / "two.npy")
    with pytest.raises(ValueError, match=r"column 'x2' has value 2 at row 1.*binary"):
        conform(data, graphs.markov_chain(4))


# -- network samples ---------------------------------------------------------------------


def test_network_samples_match_the_marginals():
    from pgmpy.inference import VariableElimination

    asia = graphs.load_network("asia")
    n = 20_000
    data = sample_network(asia, n, seed=7)
    assert data.names == asia.nodes and data.states["smoke"] == ("yes", "no")
    assert np.array_equal(sample_network(asia, 50, seed=7).x, data.x[:50])  # seeded prefix
    infer = VariableElimination(graphs.to_pgmpy(asia))
    for j, name in enumerate(data.names):
        p = infer.query([name], show_progress=False).get_value(**{name: "yes"})
        freq = np.mean(data.x[:, j] == 0)  # code 0 is "yes"
        sd = math.sqrt(p * (1 - p) / n)
        assert abs(freq - p) < 4 * sd + 1e-9, (name, freq, p)
    # a conditional, not only marginals: p(lung = yes | smoke = yes) = 0.1
    smoke, lung = data.names.index("smoke"), data.names.index("lung")
    given = data.x[:, smoke] == 0
    rate = np.mean(data.x[given, lung] == 0)
    assert abs(rate - 0.1) < 4 * math.sqrt(0.09 / given.sum())


def test_sample_network_errors():
    with pytest.raises(ValueError, match="carries no CPDs"):
        sample_network(graphs.independent(3), 10)
    with pytest.raises(ValueError, match="positive int"):
        sample_network(graphs.load_network("asia"), 0)
