import json
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentiment_cli.errors import DataError
from sentiment_cli.labels import (
    DROP,
    LabelMap,
    LabelScheme,
    infer_scheme,
    normalize,
    scheme_for_classes,
)

NEG_POS = ("negative", "positive")
THREE = ("negative", "neutral", "positive")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (np.float32("nan"), None),
        ("", None),
        (" \t\n", None),
        ("NaN", None),
        (True, "true"),
        (False, "false"),
        (np.bool_(True), "true"),
        (4, "4"),
        (np.int64(-1), "-1"),
        (4.0, "4"),
        (-0.0, "0"),
        (3.5, "3.5"),
        (np.float32(0.1), "0.1"),
        (Decimal("2.50"), "2.5"),
        ("1.0", "1"),
        (" 4 ", "4"),
        ("+1", "1"),
        ("-0", "0"),
        ("1e1", "10"),
        (".5", "0.5"),
        ("3.50", "3.5"),
        (" Positive ", "positive"),
        ("ÉNORME", "énorme"),
        (b"pos", "pos"),
        ("1,5", "1,5"),
        ("inf", "inf"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("values", "mapping"),
    [
        ([0, 1, 1, 0], {"0": 0, "1": 1}),
        ([4, 0, 4], {"0": 0, "4": 1}),  # Sentiment140 binary
        ([1, -1], {"-1": 0, "1": 1}),
        (["+1", "-1"], {"-1": 0, "1": 1}),
        (["pos", "neg"], {"neg": 0, "pos": 1}),
        ([" Negative", "POSITIVE ", "positive"], {"negative": 0, "positive": 1}),
        ([True, False, True], {"false": 0, "true": 1}),
        (["TRUE", "False"], {"false": 0, "true": 1}),
        (["yes", "No"], {"no": 0, "yes": 1}),
        ([0.0, 1.0], {"0": 0, "1": 1}),
        (["1.0", "0", 0, 1.0, None, ""], {"0": 0, "1": 1}),
        (np.array([0.0, 4.0, float("nan")]), {"0": 0, "4": 1}),
        (["neg", "negative", "pos"], {"neg": 0, "negative": 0, "pos": 1}),
    ],
)
def test_binary_spellings(values, mapping):
    scheme = infer_scheme(values)
    assert scheme.classes == NEG_POS
    assert scheme.kind == "binary"
    assert scheme.mapping == mapping


@pytest.mark.parametrize(
    ("values", "mapping"),
    [
        (["Negative", "neutral ", "POSITIVE"], {"negative": 0, "neutral": 1, "positive": 2}),
        (["pos", "neu", "neg"], {"neg": 0, "neu": 1, "pos": 2}),
        ([1, 0, -1], {"-1": 0, "0": 1, "1": 2}),
        ([0, 2, 4, 4], {"0": 0, "2": 1, "4": 2}),  # Sentiment140 full scheme
        (["4.0", "2", 0.0], {"0": 0, "2": 1, "4": 2}),
    ],
)
def test_three_class_sentiment(values, mapping):
    scheme = infer_scheme(values)
    assert scheme.classes == THREE
    assert scheme.kind == "sentiment3"
    assert scheme.mapping == mapping


def test_named_labels_are_sorted():
    scheme = infer_scheme(["sad", "Joy", "anger", "joy"])
    assert scheme.kind == "named"
    assert scheme.classes == ("anger", "joy", "sad")
    assert scheme.mapping == {"anger": 0, "joy": 1, "sad": 2}


def test_named_labels_keep_sentiment_words_in_sentiment_order():
    sst5 = ["very positive", "positive", "neutral", "negative", "very negative"]
    scheme = infer_scheme([*sst5, "mixed"])
    assert scheme.kind == "named"
    assert scheme.classes == ("mixed", "very negative", "negative", "neutral", "positive", "very positive")
    assert infer_scheme(["negative", "neutral"]).classes == ("negative", "neutral")
    assert infer_scheme(["pos", "neg", "mixed"]).classes == ("mixed", "neg", "pos")


def test_star_ratings_are_numeric_classes():
    stars = infer_scheme([5, 1, 2, "3", 4.0])
    assert stars.kind == "numeric"
    assert stars.classes == ("1", "2", "3", "4", "5")
    assert [stars.encode(v) for v in (1, "2.0", 3, " 4 ", 5.0)] == [0, 1, 2, 3, 4]
    ten = infer_scheme(list(range(10, 0, -1)))
    assert ten.classes == ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
    assert ten.encode(10) == 9
    halves = infer_scheme([4.0, 3.5, 1])
    assert halves.classes == ("1", "3.5", "4")
    assert infer_scheme([1, 2]).classes == ("1", "2")  # two numbers that are no known scheme stay numbers


def test_encode_missing_dropped_and_unknown():
    scheme = infer_scheme([1, 2, 3, 4, 5], LabelMap.parse("1-2=negative,3=drop,4-5=positive"))
    assert [scheme.encode(v) for v in (1, 2.0, "4", 5)] == [0, 0, 1, 1]
    assert scheme.encode(3) is DROP
    for missing in (None, float("nan"), "", "  "):
        assert scheme.encode(missing) is None
    with pytest.raises(KeyError) as caught:
        scheme.encode(" 6.0 ")
    assert caught.value.args == ("6",)


def test_describe():
    assert infer_scheme([0, 1]).describe() == "labels: 0 -> negative, 1 -> positive"
    assert infer_scheme([1, -1]).describe() == "labels: -1 -> negative, 1 -> positive"
    assert infer_scheme(["negative", "neutral", "positive"]).describe() == (
        "labels: 3 classes (negative, neutral, positive)"
    )
    assert infer_scheme(["neg", "negative", "pos"]).describe() == "labels: neg, negative -> negative, pos -> positive"
    mapped = infer_scheme([1, 2, 3, 4, 5], LabelMap.parse("1-2=negative,3=drop,4-5=positive"))
    assert mapped.describe() == "labels: 1-2 -> negative, 3 dropped, 4-5 -> positive"
    assert infer_scheme(range(1, 6)).describe() == "labels: 5 classes (1, 2, 3, 4, 5)"


def test_label_map_parses_ranges_values_star_and_drop():
    spec = " 1-2 = Bad , 3=DROP, 4-5=Good, 0.5-0.9=Bad, Meh=so-so, *=drop"
    label_map = LabelMap.parse(spec)
    assert label_map.spec == spec
    assert label_map.classes == ("Bad", "Good", "so-so")
    assert [label_map.lookup(v) for v in ("1", "1.5", "2", "4", "5", "0.5", "0.9", "meh")] == [
        "Bad", "Bad", "Bad", "Good", "Good", "Bad", "Bad", "so-so",
    ]  # fmt: skip
    assert label_map.lookup("3") is DROP
    assert label_map.lookup("2.5") is DROP  # '*'
    assert label_map.lookup("anything") is DROP


def test_label_map_negative_numbers_and_floats():
    label_map = LabelMap.parse("-2--1=negative,-0.5-0.5=neutral,1e0-2=positive,-3=drop")
    assert [item.key for item in label_map.items] == ["-2--1", "-0.5-0.5", "1-2", "-3"]
    assert [label_map.lookup(v) for v in ("-2", "-1.5", "-1", "0", "0.5", "1", "2")] == [
        "negative", "negative", "negative", "neutral", "neutral", "positive", "positive",
    ]  # fmt: skip
    assert label_map.lookup("-3") is DROP
    assert label_map.lookup("-0.75") is None
    assert label_map.lookup("3") is None
    assert LabelMap.parse("-1=negative,1=positive").lookup("-1") == "negative"


def test_label_map_value_keys_are_normalized_and_win_over_ranges():
    label_map = LabelMap.parse("1-5=negative,3.0=drop,POS=positive")
    assert label_map.lookup("3") is DROP
    assert label_map.lookup("4") == "negative"
    assert label_map.lookup(normalize(" Pos ")) == "positive"
    assert label_map.classes == ("negative", "positive")
    assert LabelMap.parse("a=x,b=x,a=x").classes == ("x",)  # many keys -> one class, repeats are fine


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "label map: the map is empty"),
        ("  ", "label map: the map is empty"),
        ("positive", "label map: 'positive' is not KEY=CLASS"),
        ("=positive", "label map: '=positive' has an empty key"),
        ("1= ", "label map: '1=' has an empty class name"),
        ("1=a,,2=b", "label map: empty item in '1=a,,2=b' (two commas in a row, or one at an end)"),
        ("1=a,", "label map: empty item in '1=a,' (two commas in a row, or one at an end)"),
        ("5-1=negative", "label map: range '5-1' is empty (5 > 1)"),
        ("-1--2=negative", "label map: range '-1--2' is empty (-1 > -2)"),
        ("1=a,1.0=b", "label map: '1' is mapped to both 'a' and 'b'"),
        ("*=a,*=drop", "label map: '*' is mapped to both 'a' and 'drop'"),
        ("1-3=negative,3-5=positive", "label map: ranges '1-3' and '3-5' overlap"),
        ("1=drop,*=drop", "label map: '*=drop' with nothing but drops leaves no label; name at least one class"),
        ("1=Good,2=good", "label map: class names 'Good' and 'good' differ only in case"),
        ("nan=x", "label map: key 'nan' means a missing label; missing labels are always skipped"),
    ],
)
def test_label_map_errors(spec, message):
    with pytest.raises(ValueError) as caught:
        LabelMap.parse(spec)
    assert str(caught.value) == message


def test_infer_with_map_orders_classes_as_the_spec():
    scheme = infer_scheme(["a", "b", "c", None], LabelMap.parse("c=zeta,a=alpha,b=zeta"))
    assert scheme.kind == "mapped"
    assert scheme.classes == ("zeta", "alpha")
    assert scheme.mapping == {"a": 1, "b": 0, "c": 0}


def test_infer_with_map_reports_uncovered_values():
    with pytest.raises(DataError) as caught:
        infer_scheme([1, 2, 3, 7, 8.0], LabelMap.parse("1-2=negative,3=positive"), source="train.csv")
    assert caught.value.message == "train.csv has labels the label map does not cover: '7', '8'"
    assert "*=drop" in caught.value.hint
    covered = infer_scheme([1, 2, 3, 7], LabelMap.parse("1-2=negative,3=positive,*=drop"))
    assert covered.mapping == {"1": 0, "2": 0, "3": 1, "7": None}


def test_infer_errors_on_one_class():
    with pytest.raises(DataError) as caught:
        infer_scheme(["Positive", " positive", None, float("nan")])
    assert caught.value.message == "the data has only one label: 'positive'; at least two classes are needed"
    with pytest.raises(DataError) as caught:
        infer_scheme([1, 2, 5], LabelMap.parse("1-2=drop,5=positive"), source="train.csv")
    assert caught.value.message == "train.csv has only one label: 'positive'; at least two classes are needed"
    assert caught.value.hint == "the other labels were dropped by the label map"
    with pytest.raises(DataError, match="has no labels"):
        infer_scheme([None, "", float("nan")])


def test_infer_errors_on_too_many_classes():
    with pytest.raises(DataError) as caught:
        infer_scheme([f"review text {i}" for i in range(60)], source="reviews.csv")
    assert caught.value.message == (
        "reviews.csv has 60 different labels, more than the 50 classes allowed: "
        "'review text 0', 'review text 1', 'review text 2', 'review text 3', 'review text 4', ... (55 more)"
    )
    assert "label column" in caught.value.hint
    assert "label map" in caught.value.hint
    assert infer_scheme(range(60), max_classes=60).classes[-1] == "59"
    ratings = infer_scheme(range(1, 101), LabelMap.parse("1-40=negative,41-60=drop,61-100=positive"))
    assert ratings.classes == NEG_POS
    assert ratings.describe() == "labels: 1-40 -> negative, 41-60 dropped, 61-100 -> positive"


@pytest.mark.parametrize(
    ("values", "mapping"),
    [
        ([0, 1, 1.0], {"0": 0, "1": 1}),
        (["pos", "NEG"], {"neg": 0, "pos": 1}),
        ([True, False], {"false": 0, "true": 1}),
        ([4, 0], {"0": 0, "4": 1}),
        (["Negative", "positive "], {"negative": 0, "positive": 1}),
        ([1, 1], {"1": 1}),  # positives only
        (["negative"], {"negative": 0}),
    ],
)
def test_scheme_for_binary_model(values, mapping):
    scheme = scheme_for_classes(NEG_POS, values)
    assert scheme.classes == NEG_POS
    assert scheme.kind == "binary"
    assert scheme.mapping == mapping


def test_scheme_for_three_class_model():
    assert scheme_for_classes(THREE, [0, 2, 4]).mapping == {"0": 0, "2": 1, "4": 2}
    assert scheme_for_classes(THREE, [-1, 1]).mapping == {"-1": 0, "1": 2}
    assert scheme_for_classes(THREE, ["neu", "pos"]).mapping == {"neu": 1, "pos": 2}
    with pytest.raises(DataError) as caught:
        scheme_for_classes(THREE, [0])  # negative in 0/2/4, neutral in -1/0/1
    assert caught.value.message == (
        "the data has labels that could mean different classes: '0' "
        "(the model's classes are negative, neutral, positive)"
    )
    assert scheme_for_classes(THREE, [0], LabelMap.parse("0=neutral")).mapping == {"0": 1}


def test_scheme_for_classes_rejects_unknown_values():
    with pytest.raises(DataError) as caught:
        scheme_for_classes(NEG_POS, [1, 2, 3, 4, 5], source="test.csv")
    assert caught.value.message == (
        "test.csv has labels the model does not know: '1', '2', '3', '4', '5' "
        "(the model's classes are negative, positive)"
    )
    assert "label map" in caught.value.hint
    with pytest.raises(DataError, match=r"does not know: '0' \(the model's classes are negative, positive\)"):
        scheme_for_classes(NEG_POS, [-1, 0, 1])  # 0 is neutral here
    with pytest.raises(DataError, match=r"does not know: 'meh'"):
        scheme_for_classes(NEG_POS, ["pos", "meh"])


def test_scheme_for_classes_with_a_label_map_and_numeric_classes():
    stars = scheme_for_classes(NEG_POS, [1, 2, 3, 4, 5], LabelMap.parse("1-2=Negative,3=drop,4-5=positive"))
    assert stars.kind == "mapped"
    assert stars.mapping == {"1": 0, "2": 0, "3": None, "4": 1, "5": 1}
    assert stars.encode(3) is DROP
    with pytest.raises(DataError) as caught:
        scheme_for_classes(NEG_POS, [1], LabelMap.parse("1=bad"))
    assert caught.value.message == (
        "the label map names classes the model does not have: 'bad' (the model's classes are negative, positive)"
    )
    with pytest.raises(DataError, match="does not cover: '9'"):
        scheme_for_classes(NEG_POS, [1, 9], LabelMap.parse("1=negative"))
    numeric = scheme_for_classes(("1", "2", "3", "4", "5"), ["4.0", 5, "1"])
    assert numeric.kind == "numeric"
    assert numeric.mapping == {"1": 0, "4": 3, "5": 4}
    named = scheme_for_classes(("anger", "joy"), ["JOY"])
    assert (named.kind, named.mapping) == ("named", {"joy": 1})


@pytest.mark.parametrize(
    "scheme",
    [
        infer_scheme([0, 4]),
        infer_scheme([-1, 0, 1]),
        infer_scheme([3.5, 1, 2]),
        infer_scheme(["joy", "anger"]),
        infer_scheme([1, 2, 3, 4, 5], LabelMap.parse("1-2=negative,3=drop,4-5=positive")),
    ],
)
def test_json_round_trip(scheme):
    data = json.loads(json.dumps(scheme.to_dict()))
    assert set(data) == {"classes", "kind", "mapping"}
    again = LabelScheme.from_dict(data)
    assert again == scheme
    assert again.describe() == scheme.describe()


def test_to_dict_shape():
    assert infer_scheme([1, 2, 3, 4, 5], LabelMap.parse("1-2=negative,3=drop,4-5=positive")).to_dict() == {
        "classes": ["negative", "positive"],
        "kind": "mapped",
        "mapping": {"1": 0, "2": 0, "3": None, "4": 1, "5": 1},
    }


GOOD = {"classes": ["negative", "positive"], "kind": "binary", "mapping": {"0": 0, "1": 1}}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([], "expected an object"),
        ({**GOOD, "classes": "negative,positive"}, "classes must be a list"),
        ({**GOOD, "classes": ["negative", 1]}, "non-empty strings"),
        ({**GOOD, "classes": ["negative", ""]}, "non-empty strings"),
        ({**GOOD, "classes": ["negative", "negative"]}, "must be unique"),
        ({**GOOD, "classes": ["negative", "Negative"]}, "must be unique"),
        ({**GOOD, "classes": ["negative"], "mapping": {"0": 0}}, "at least two classes"),
        ({**GOOD, "kind": "stars"}, "unknown kind 'stars'"),
        ({**GOOD, "kind": None}, "kind must be a string"),
        ({**GOOD, "mapping": [["0", 0]]}, "mapping must be an object"),
        ({**GOOD, "mapping": {"0": 0, "1": 2}}, r"mapping of '1' is 2, not a class id 0..1"),
        ({**GOOD, "mapping": {"0": -1}}, "not a class id"),
        ({**GOOD, "mapping": {"0": True}}, "not a class id"),
        ({**GOOD, "mapping": {"0": "0"}}, "not a class id"),
        ({**GOOD, "mapping": {"1.0": 1}}, "not a normalized label"),
        ({**GOOD, "mapping": {"Pos": 1}}, "not a normalized label"),
    ],
)
def test_from_dict_rejects_bad_data(data, match):
    with pytest.raises(ValueError, match=match):
        LabelScheme.from_dict(data)


def test_scheme_is_not_changed_through_the_dict_it_was_given():
    mapping = {"0": 0, "1": 1}
    scheme = LabelScheme(["negative", "positive"], mapping, "binary")
    mapping["2"] = 1
    assert scheme.classes == NEG_POS
    assert scheme.mapping == {"0": 0, "1": 1}


def _spellings(text: str) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(["", " ", "\t"]), st.sampled_from([text, text.upper(), text.title()])).map(
        lambda parts: parts[0] + parts[1] + parts[0]
    )


# (negative spellings, positive spellings) of one binary scheme each
PAIRS = [
    ([0, 0.0, "0", "0.0", " 0 ", np.int64(0)], [1, 1.0, "1", "1.0", "+1", np.float32(1)]),
    ([0, "0"], [4, 4.0, "4"]),
    ([-1, -1.0, "-1"], [1, "1.0", "+1"]),
    ([False, np.bool_(False), _spellings("false")], [True, _spellings("true")]),
    ([_spellings("neg"), _spellings("negative")], [_spellings("pos"), _spellings("positive")]),
    ([_spellings("no")], [_spellings("yes")]),
]


def _one_of(spellings: list) -> st.SearchStrategy:
    return st.one_of([s if isinstance(s, st.SearchStrategy) else st.just(s) for s in spellings])


@st.composite
def binary_labels(draw) -> tuple[list, list[int]]:
    negatives, positives = draw(st.sampled_from(PAIRS))
    ids = draw(st.lists(st.sampled_from([0, 1]), min_size=0, max_size=30))
    ids = [0, 1, *ids]
    values = [draw(_one_of(negatives if i == 0 else positives)) for i in ids]
    order = draw(st.permutations(range(len(values))))
    missing = draw(st.lists(st.sampled_from([None, "", "  ", float("nan")]), max_size=3))
    return [values[i] for i in order] + missing, [ids[i] for i in order] + [None] * len(missing)


@settings(max_examples=150, deadline=None)
@given(binary_labels())
def test_any_binary_spelling_gives_two_consistent_classes(case):
    values, ids = case
    scheme = infer_scheme(values)
    assert scheme.classes == NEG_POS
    assert scheme.kind == "binary"
    assert [scheme.encode(v) for v in values] == ids
    assert LabelScheme.from_dict(json.loads(json.dumps(scheme.to_dict()))) == scheme
    again = scheme_for_classes(scheme.classes, values)
    assert [again.encode(v) for v in values] == ids


def test_nan_inputs_are_missing_not_classes():
    scheme = infer_scheme([0, 1, float("nan"), np.nan, None])
    assert set(scheme.mapping) == {"0", "1"}
    assert scheme.encode(math.nan) is None


def test_a_map_of_drops_only_drops_those_and_reads_the_rest_as_without_a_map():
    neutral = LabelMap.parse("neutral=drop")
    scheme = infer_scheme(["negative", "neutral", "positive", "neutral"], neutral)
    assert scheme.classes == ("negative", "positive") and scheme.kind == "binary"
    assert scheme.mapping == {"negative": 0, "positive": 1, "neutral": None}
    assert scheme.describe() == "labels: negative -> negative, neutral dropped, positive -> positive"
    three = scheme_for_classes(("negative", "positive"), ["neg", "neutral", "pos"], neutral)
    assert three.mapping == {"neg": 0, "neutral": None, "pos": 1}
    stars = infer_scheme([1, 2, 3, 4, 5], LabelMap.parse("3=drop"))  # numbers stay classes of their own
    assert stars.classes == ("1", "2", "4", "5") and stars.mapping["3"] is None
    with pytest.raises(DataError, match="has only one label"):
        infer_scheme(["neutral", "positive"], neutral)


STARS = [1, 2, 4, 5] * 5


@pytest.mark.parametrize("spec", ["-2--1=negative,*=positive", "0x1-0x2=negative,*=positive", "inf=positive,*=negative",
                                  "１-２=negative,*=positive"])  # fmt: skip
def test_a_star_that_takes_every_label_while_an_item_matched_nothing_is_refused(spec):
    """The red team's typo: '-2--1' for '1-2' sent every review to '*'s class; evaluate printed accuracy 0.49."""
    label_map = LabelMap.parse(spec)
    star = label_map.star.target
    missed = label_map.unmatched(["1", "2", "4", "5"])
    assert len(missed) == 1
    message = (
        rf"label map: '\*' took every label of stars.csv \('1', '2', '4', '5'\) to '{star}': "
        rf"'{missed[0].key}' matched no label"
    )
    for read in (
        lambda: infer_scheme(STARS, label_map, source="stars.csv"),
        lambda: scheme_for_classes(NEG_POS, STARS, label_map, source="stars.csv"),
    ):
        with pytest.raises(DataError, match=message) as info:
            read()
        assert "name its labels instead of '*'" in info.value.hint


def test_label_map_items_that_match_no_label_are_warnings():
    scheme = infer_scheme(STARS, LabelMap.parse("1-2=negative,3=drop,4-5=positive"))
    assert scheme.classes == NEG_POS and scheme.mapping == {"1": 0, "2": 0, "4": 1, "5": 1}
    assert scheme.warnings == ("label map: '3' matched no label (labels found: '1', '2', '4', '5')",)
    scheme = scheme_for_classes(NEG_POS, STARS, LabelMap.parse("1-2=negative,0x3=drop,*=positive"))
    assert scheme.warnings == ("label map: '0x3' matched no label (labels found: '1', '2', '4', '5')",)
    assert scheme.mapping == {"1": 0, "2": 0, "4": 1, "5": 1}
    # a value key that takes a range's only value leaves the range unmatched; a map of drops only warns too
    assert infer_scheme([1, 3, 5], LabelMap.parse("3=drop,3-3=negative,1=negative,5=positive")).warnings == (
        "label map: '3-3' matched no label (labels found: '1', '3', '5')",
    )
    assert infer_scheme(["pos", "neg"], LabelMap.parse("neutral=drop")).warnings == (
        "label map: 'neutral' matched no label (labels found: 'neg', 'pos')",
    )
    assert infer_scheme(STARS, LabelMap.parse("1-2=negative,4-5=positive")).warnings == ()
    # one class named, and no item unmatched: data of positives only with '*' is evaluated as before
    assert scheme_for_classes(NEG_POS, [4, 5], LabelMap.parse("*=positive")).mapping == {"4": 1, "5": 1}
    assert LabelScheme.from_dict(scheme.to_dict()) == scheme and "warnings" not in scheme.to_dict()


def test_evaluate_names_the_label_map_typo(tmp_path):
    from typer.testing import CliRunner

    from sentiment_cli.cli import app

    data = tmp_path / "stars.csv"
    data.write_text("text,stars\n" + "".join(f"film {i},{s}\n" for i, s in enumerate(STARS)))
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", str(data), "--label-map", "-2--1=negative,*=positive"])
    assert result.exit_code == 1 and "accuracy" not in result.stdout
    assert result.stderr.splitlines()[-1].startswith(
        f"error: label map: '*' took every label of {data} ('1', '2', '4', '5') to 'positive': '-2--1' matched no label"
    )
    result = runner.invoke(app, ["evaluate", str(data), "--label-map", "1-2=negative,3=drop,4-5=positive"])
    assert result.exit_code == 0, result.stderr
    assert "warning: label map: '3' matched no label (labels found: '1', '2', '4', '5')\n" in result.stderr


def test_a_list_or_object_label_is_not_a_class(tmp_path):
    """Red-team F20.3: a JSON list label became the class "['neg']"; such rows are skipped and counted apart."""
    from sentiment_cli.data import load_dataset

    path = tmp_path / "multi.jsonl"
    rows = [{"text": "great film", "label": "pos"}, {"text": "awful film", "label": "neg"},
            {"text": "odd film", "label": ["neg"]}, {"text": "mixed film", "label": {"a": 1}}] * 3  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = load_dataset(path)
    assert data.classes == ("negative", "positive")
    assert data.report()["rows_skipped"] == {"whose label is a list or object, not one value": 6}
    assert normalize(["neg"]) is None and normalize({"a": 1}) is None
