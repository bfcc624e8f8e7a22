"""Task metrics: SQuAD v1.1/v2.0 as the official scripts compute them (expected numbers worked out by hand
below), entity F1 against seqeval's documented examples and hand cases, correlations against scipy, the
registry."""
import math

import numpy as np
import pytest

from keras_albert import metrics
from keras_albert.metrics import squad


def q(qid, *answers):
    """A question record as the SQuAD reader returns it (answer offsets do not matter to the metric)."""
    return {"id": qid, "question": "?", "context": "", "answers": [(a, 0) for a in answers],
            "is_impossible": not answers}


def test_normalization_follows_the_official_order():
    assert squad.normalize_answer("The  Quick, brown-fox.") == "quick brownfox"   # punctuation goes first...
    assert squad.normalize_answer("an-apple") == "anapple"                     # ...so "an-" is no article
    assert squad.normalize_answer("A theory of THE\tman") == "theory of man"
    assert squad.normalize_answer("  ") == ""


def test_squad_v1():
    records = [q("a", "The Eiffel Tower", "Eiffel Tower"), q("b", "Denver Broncos"), q("c", "1990", "in 1990s")]
    predictions = {"a": "eiffel tower!", "b": "the Broncos", "c": "1991"}
    got = squad.squad_scores(records, predictions)
    # a: "eiffel tower" == "eiffel tower" -> EM 1, F1 1
    # b: "broncos" vs "denver broncos": EM 0; 1 shared token, P = 1/1, R = 1/2, F1 = 2 * 1 * .5 / 1.5 = 2/3
    # c: "1991" shares nothing with either gold -> 0, 0
    assert set(got) == {"exact_match", "f1"}
    assert got["exact_match"] == pytest.approx(100 * 1 / 3)
    assert got["f1"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)           # 55.56
    # F1 counts repeated tokens once per occurrence: gold "a b b c" -> "b b c", pred "b b b" shares 2 of 3
    # tokens: P = 2/3, R = 2/3, F1 = 2/3
    assert squad.f1("a b b c", "b b b") == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="no prediction for 1 question.*'c'"):
        squad.squad_scores(records, {"a": "", "b": ""})
    with pytest.raises(ValueError, match=r"the prediction for id 'c' is None, not text"):
        squad.squad_scores(records, {"a": "", "b": "", "c": None})


def test_empty_answers_v1_versus_v2():
    # gold "The" normalizes to nothing. v1.1: EM compares "" == "" -> 1, F1 has nothing in common -> 0.
    assert squad.squad_scores([q("x", "The")], {"x": "a"}) == {"exact_match": 100.0, "f1": 0.0}
    # v2.0 drops gold answers that normalize to nothing, leaving [""]; "a" -> "" matches it: 1 and 1
    assert squad.f1("The", "a", v2=True) == 1.0 and squad.f1("The", "a", v2=False) == 0.0


def v2_case():
    records = [q("a", "Paris"), q("b", "red apple"), q("c"), q("d"), q("e", "blue")]
    predictions = {"a": "Paris", "b": "apple", "c": "", "d": "London", "e": "green"}
    na_probs = {"a": 0.1, "c": 0.3, "b": 0.35, "d": 0.4, "e": 0.9}
    return records, predictions, na_probs


def test_squad_v2_scores_and_best_threshold():
    records, predictions, na_probs = v2_case()
    # raw exact: a 1, b 0, c 1 ("" == ""), d 0, e 0;  raw f1: a 1, b 2/3 (P 1, R 1/2), c 1, d 0, e 0
    got = squad.squad_scores(records, predictions, na_probs)
    assert got["total"] == 5
    assert got["exact"] == pytest.approx(100 * 2 / 5)                         # 40
    assert got["f1"] == pytest.approx(100 * (1 + 2 / 3 + 1) / 5)              # 53.33
    assert (got["HasAns_exact"], got["HasAns_total"]) == (pytest.approx(100 / 3), 3)
    assert got["HasAns_f1"] == pytest.approx(100 * (1 + 2 / 3) / 3)          # 55.56
    assert (got["NoAns_exact"], got["NoAns_f1"], got["NoAns_total"]) == (50.0, 50.0, 2)
    # find_best_thresh: start at 2 (both no-answer questions right), answer in rising null odds:
    # exact: a +1 -> 3 (best, thresh .1), c +0, b +0, d -1 (non-empty on a no-answer question), e +0
    assert got["best_exact"] == pytest.approx(100 * 3 / 5) and got["best_exact_thresh"] == 0.1
    # f1: a +1 -> 3 (.1), c +0, b +2/3 -> 3.67 (best, thresh .35), d -1, e +0
    assert got["best_f1"] == pytest.approx(100 * (3 + 2 / 3) / 5) and got["best_f1_thresh"] == 0.35


def test_squad_v2_without_null_odds_and_with_a_threshold():
    records, predictions, na_probs = v2_case()
    got = squad.squad_scores(records, predictions)   # an impossible question makes it v2.0; no best_* keys
    assert got["exact"] == pytest.approx(40.0) and "best_f1" not in got
    # --na-prob-thresh 0.2: c, b, d, e are called "no answer": right for c, d (1), wrong for b, e (0);
    # a keeps its raw 1 -> exact = f1 = (1 + 1 + 0 + 1 + 0) / 5
    got = squad.squad_scores(records, predictions, na_probs, na_prob_thresh=0.2)
    assert got["exact"] == pytest.approx(60.0) and got["f1"] == pytest.approx(60.0)
    with pytest.raises(ValueError, match="no null odds for 1 question.*'e'"):
        squad.squad_scores(records, predictions, {k: v for k, v in na_probs.items() if k != "e"})


def test_entities_seqeval_documented_examples():
    # seqeval's README / f1_score docstring example: micro F1 2/3, per type MISC 0.5, PER 1.0
    y_true = [["O", "O", "B-MISC", "I-MISC", "B-MISC", "O", "O"], ["B-PER", "I-PER", "O"]]
    y_pred = [["O", "O", "B-MISC", "I-MISC", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    got = metrics.entity_scores(y_true, y_pred)
    assert got["f1"] == pytest.approx(2 / 3)
    assert got["per_type"]["MISC"]["f1"] == pytest.approx(0.5) and got["per_type"]["PER"]["f1"] == 1.0
    # classification_report docstring: a MISC span that starts one token early is wrong; micro P = R = 0.5
    y_true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    y_pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    got = metrics.entity_scores(y_true, y_pred)
    assert (got["precision"], got["recall"], got["support"]) == (0.5, 0.5, 2)
    assert got["per_type"]["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_entities_by_scheme_hand_cases():
    # IOB1 (CoNLL-2003's own tags): "I-PER I-PER B-PER" is two people, [0, 2) and [2, 3)
    gold = [["I-PER", "I-PER", "B-PER", "O", "I-LOC"]]
    pred = [["I-PER", "I-PER", "I-PER", "O", "I-LOC"]]      # one person [0, 3): wrong; LOC right
    got = metrics.entity_scores(gold, pred, scheme="IOB1")
    # gold 3 entities, predicted 2, 1 right: P = 1/2, R = 1/3, F1 = 2 * (1/2 * 1/3) / (5/6) = 0.4
    assert (got["precision"], got["recall"], got["f1"]) == (pytest.approx(0.5), pytest.approx(1 / 3),
                                                            pytest.approx(0.4))
    assert got["per_type"]["PER"]["support"] == 2
    # IOBES in strict mode: S-/E- close entities; an "I-ORG E-ORG" without B- is no entity at all
    gold = [["B-ORG", "E-ORG", "O", "S-PER"], ["S-LOC", "O"]]
    pred = [["I-ORG", "E-ORG", "O", "S-PER"], ["B-LOC", "E-LOC"]]
    got = metrics.entity_scores(gold, pred, scheme="IOBES")
    # gold: ORG[0,2) PER[3,4) LOC[0,1); pred: PER[3,4) LOC[0,2) -> 1 right of 2 predicted, of 3 gold
    assert (got["precision"], got["recall"]) == (pytest.approx(0.5), pytest.approx(1 / 3))
    assert got["per_type"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    # IOB2 strict: an I- without a B- is dropped; conlleval mode counts it as an entity
    gold, pred = [["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]
    assert metrics.entity_scores(gold, pred)["f1"] == 1.0
    assert metrics.entity_scores(gold, pred, strict=True)["f1"] == 0.0


def test_entities_refuse_bad_input():
    with pytest.raises(ValueError, match="sentence 0: 2 gold tags but 1 predicted"):
        metrics.entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match=r"sentence 0, token 1: predicted tag 'E-PER' is not an IOB2 tag"):
        metrics.entity_scores([["O", "O"]], [["O", "E-PER"]])
    with pytest.raises(ValueError, match="unknown tagging scheme 'BILOU'"):
        metrics.entity_scores([["O"]], [["O"]], scheme="BILOU")
    with pytest.raises(ValueError, match="IOBES is scored in strict mode only"):
        metrics.entity_scores([["S-A"]], [["S-A"]], scheme="IOBES", strict=False)


def test_correlations_match_scipy_and_accuracy():
    from scipy import stats
    rng = np.random.default_rng(0)
    gold = rng.uniform(0, 5, 50)
    pred = gold + rng.normal(0, 1, 50)
    assert metrics.pearson(gold, pred) == pytest.approx(stats.pearsonr(gold, pred)[0])
    assert metrics.spearman(gold, pred) == pytest.approx(stats.spearmanr(gold, pred)[0])
    # hand case: ranks agree perfectly though values do not -> Spearman 1, Pearson < 1
    assert metrics.spearman([1, 2, 3], [1, 2, 30]) == 1.0 and metrics.pearson([1, 2, 3], [1, 2, 30]) < 0.9
    assert math.isnan(metrics.pearson([1, 2, 3], [2, 2, 2]))
    assert metrics.accuracy([0, 1, 1, 2], [0, 1, 2, 2]) == 0.75
    assert metrics.accuracy(["entailment", "neutral"], ["entailment", "contradiction"]) == 0.5
    got = metrics.mnli_accuracy(([0, 1], [0, 1]), ([0, 1, 2, 2], [0, 0, 0, 2]))
    assert got == {"matched_accuracy": 1.0, "mismatched_accuracy": 0.5}
    with pytest.raises(ValueError, match="one length"):
        metrics.accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="no examples"):
        metrics.pearson([], [])


def test_registry_names_each_task_main_metric():
    assert metrics.MAIN_METRIC == {"question_answering": "f1", "token_classification": "f1",
                                   "classification": "accuracy", "pairs": "accuracy", "regression": "pearson",
                                   "multiple_choice": "accuracy", "multi_label": "micro_f1"}
    assert set(metrics.TASK_METRICS) == set(metrics.MAIN_METRIC)
    assert all(name in metrics.METRICS for names in metrics.TASK_METRICS.values() for name in names)
    got = metrics.evaluate("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 30.0])
    assert got["main"] == got["pearson"] and got["spearman"] == 1.0
    records, predictions, na_probs = v2_case()
    got = metrics.evaluate("question_answering", records, predictions, na_probs=na_probs)
    assert got["main"] == got["f1"] == pytest.approx(100 * (1 + 2 / 3 + 1) / 5)
    got = metrics.evaluate("token_classification", [["B-A", "O"]], [["B-A", "O"]])
    assert got["main"] == 1.0
    with pytest.raises(ValueError, match="unknown task 'nli'"):
        metrics.evaluate("nli", [], [])
