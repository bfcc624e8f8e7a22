"""`pack` against transformers' fast tokenizer on our own tokenizer.json: ids, token types, offsets, windows and
refusals; and the TF-graph packer (`AlbertPreprocessor`) against `pack`."""
import json

import numpy as np
import pytest
import transformers

from keras_albert.packing import Encoding, pack, pack_batch, pad
from keras_albert.preprocessor import AlbertPreprocessor


@pytest.fixture(scope="module")
def hf(tmp_path_factory, tokenizer):
    folder = tmp_path_factory.mktemp("hf_packing")
    tokenizer.save_tokenizer_json(folder / "tokenizer.json")
    (folder / "config.json").write_text(json.dumps({"model_type": "albert"}))
    return transformers.AutoTokenizer.from_pretrained(folder)


def _theirs(hf, a, b, truncation, max_length, stride, overflow):
    """transformers' rows as (ids, token types, offsets) lists, or the exception it raised."""
    kwargs = dict(truncation=truncation, max_length=max_length, return_offsets_mapping=True,
                  return_token_type_ids=True)
    if overflow:
        kwargs.update(stride=stride, return_overflowing_tokens=True)
    try:
        out = hf(a, b, **kwargs)
    except BaseException as e:  # the Rust side panics on a too-large stride (not an Exception subclass)
        if isinstance(e, KeyboardInterrupt):
            raise
        return e
    rows = zip(*(out[k] if overflow else [out[k]] for k in ("input_ids", "token_type_ids", "offset_mapping")))
    return [(ids, types, [tuple(o) for o in offsets]) for ids, types, offsets in rows]


def test_pack_equals_transformers(hf, tokenizer, rt_texts):
    """Every strategy, with and without windows, on short pairs, a long second text, a long first text and single
    texts: the same rows, token types and offsets, and an error exactly where transformers raises one."""
    texts = rt_texts[0]
    context = " ".join(texts[:6])
    cases = [(texts[0], texts[1]), ("who is it?", context), (context, "short"), (texts[5], None), (context, None)]
    checked = refused = 0
    for a, b in cases:
        for truncation in ("longest_first", "only_first", "only_second", True, False):
            for max_length in (5, 8, 13, 31, 200):
                for stride, overflow in ((0, False), (0, True), (3, True)):
                    theirs = _theirs(hf, a, b, truncation, max_length, stride, overflow)
                    if isinstance(theirs, BaseException):
                        with pytest.raises(ValueError):
                            pack(tokenizer, a, b, max_length=max_length, truncation=truncation, stride=stride,
                                 return_overflowing=overflow)
                        refused += 1
                        continue
                    ours = pack(tokenizer, a, b, max_length=max_length, truncation=truncation, stride=stride,
                                return_overflowing=overflow)
                    assert [(e.ids, e.segment_ids, e.offsets) for e in ours] == theirs, (a, b, truncation,
                                                                                         max_length, stride)
                    checked += 1
    assert checked > 250 and refused > 20


def test_question_answering_windows(hf, tokenizer, rt_texts):
    """Question first, context windows (`only_second`, stride): transformers' windows, ids and offsets; each
    window's context pieces point into the context, consecutive windows share `stride` pieces."""
    question, context = "what does the critic think of the plot?", "  " + " ".join(rt_texts[0][10:30]) + "\t"
    expected = hf(question, context, truncation="only_second", max_length=48, stride=12,
                  return_overflowing_tokens=True, return_offsets_mapping=True)
    windows = pack(tokenizer, question, context, max_length=48, truncation="only_second", stride=12,
                   return_overflowing=True)
    assert len(windows) == len(expected["input_ids"]) > 5
    assert [w.ids for w in windows] == expected["input_ids"]
    assert [w.offsets for w in windows] == [[tuple(o) for o in row] for row in expected["offset_mapping"]]
    assert [w.sequence_ids for w in windows] == [expected.sequence_ids(i) for i in range(len(windows))]
    full_ids, full_offsets = tokenizer.tokenize_with_offsets(context)
    pieces = []
    for w in windows:
        assert len(w) <= 48 and w.ids[0] == 2 and w.ids[-1] == 3
        part = [i for i, s in enumerate(w.sequence_ids) if s == 1]
        assert all(w.segment_ids[i] == 1 for i in part)
        pieces.append([(w.ids[i], w.offsets[i]) for i in part])
    for previous, current in zip(pieces, pieces[1:]):
        assert previous[-12:] == current[:12]
    start = full_offsets.index(pieces[-1][0][1])
    assert [p for p in zip(full_ids, full_offsets)][start:] == pieces[-1]


def test_special_tokens_and_offsets_off(hf, tokenizer):
    """fill-mask reads a typed [MASK] (transformers does the same with its special tokens); ids only, when asked."""
    text = "a [MASK] film, ``truly'' ﬁne"
    [ours] = pack(tokenizer, text, special_tokens=True)
    theirs = hf(text, return_offsets_mapping=True)
    assert ours.ids == theirs["input_ids"] and ours.offsets == [tuple(o) for o in theirs["offset_mapping"]]
    assert 4 in ours.ids and 4 not in pack(tokenizer, text)[0].ids
    [plain] = pack(tokenizer, text, special_tokens=True, offsets=False)
    assert plain.ids == ours.ids and plain.offsets is None and plain.sequence_ids == ours.sequence_ids


def test_batch_and_pad(tokenizer, rt_texts):
    texts = list(rt_texts[0][:3])
    rows, sample = pack_batch(tokenizer, texts, ["a question"] * 3, max_length=16, truncation="only_first",
                              stride=2, return_overflowing=True)
    assert sample == sorted(sample) and set(sample) == {0, 1, 2}
    assert [r.ids for r in rows] == [r.ids for i, t in enumerate(texts) for r in pack(
        tokenizer, t, "a question", max_length=16, truncation="only_first", stride=2, return_overflowing=True)]
    inputs = pad(rows[:2] + [Encoding([2, 3], [0, 0], [(0, 0)] * 2, [None] * 2)])
    assert inputs["token_ids"].shape == (3, 16) and inputs["token_ids"].dtype == np.int32
    assert inputs["padding_mask"][2].tolist() == [1, 1] + [0] * 14
    assert inputs["segment_ids"][0].tolist() == rows[0].segment_ids
    with pytest.raises(ValueError, match="3 texts but 2 text pairs"):
        pack_batch(tokenizer, texts, ["a", "b"])


def test_preprocessor_packs_as_pack(tokenizer, rt_texts):
    """The TF-graph packer (tf.data, SavedModel) gives pack's ids and segment ids on truncated pairs and singles."""
    texts = rt_texts[0][:80]
    firsts, seconds = texts[:40], texts[40:]
    firsts[3], seconds[5], seconds[6] = " ".join(texts[:5]), " ".join(texts[5:9]), ""
    for length in (7, 12, 25, 40):
        out = AlbertPreprocessor(tokenizer, length)(firsts, seconds)
        single = AlbertPreprocessor(tokenizer, length)(firsts)
        for i, (a, b) in enumerate(zip(firsts, seconds)):
            for graph, pair in ((out, b), (single, None)):
                [row] = pack(tokenizer, a, pair, max_length=length, offsets=False)
                n = len(row)
                assert graph["token_ids"][i].numpy().tolist() == row.ids + [0] * (length - n), (length, i)
                assert graph["segment_ids"][i].numpy().tolist() == row.segment_ids + [0] * (length - n)
                assert graph["padding_mask"][i].numpy().sum() == n


def test_refusals(tokenizer):
    cases = [(dict(truncation="longest"), "truncation must be True, False or one of longest_first"),
             (dict(max_length=0), "max_length must be an integer of at least 1, got 0"),
             (dict(stride=-1), "stride must be an integer of at least 0"),
             (dict(max_length=1), "max_length 1 leaves no room for \\[CLS\\] and \\[SEP\\]"),
             (dict(max_length=6, truncation="only_second"), "truncation='only_second' cuts only a second text"),
             (dict(max_length=6, stride=4, return_overflowing=True), "stride 4 must be smaller than the 4 pieces")]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            pack(tokenizer, "a rather long sentence about a film that goes on", **kwargs)
    with pytest.raises(ValueError, match="cannot truncate only the second text to max_length 6: the other text "
                                         "alone has"):
        pack(tokenizer, "a rather long question about the film", "x", max_length=6, truncation="only_second")


def test_pipelines_pack_with_pack(tokenizer, rt_texts):
    """A pipeline packs through `pack` under its max_length (the model's positions by default) and truncation;
    pair, offset and window options reach `pack` (what question answering needs)."""
    from conftest import tiny_config

    from keras_albert import AlbertBackbone, pipeline
    extractor = pipeline("feature-extraction", AlbertBackbone(tiny_config(vocab_size=tokenizer.vocab_size)),
                         tokenizer=tokenizer)
    long_text = " ".join(rt_texts[0][:5])
    opts = extractor.options({"truncation": True})
    assert opts.max_length == 64
    assert extractor.row(0, long_text, opts) == pack(tokenizer, long_text, max_length=64)[0].ids
    windows = extractor.encode(0, "a question?", opts, text_pair=long_text, offsets=True,
                               stride=8, return_overflowing=True)
    assert windows == pack(tokenizer, "a question?", long_text, max_length=64, stride=8, return_overflowing=True)
    assert len(windows) > 1 and all(len(w) <= 64 for w in windows)
    with pytest.raises(ValueError, match=r"input 3 is \d+ tokens long, more than max_length 64: pass "
                                         r"truncation=True to keep its first 62"):
        extractor.encode(3, long_text, extractor.options({}))
    features = extractor([long_text, "short"], truncation=True)
    assert features[0].shape == (1, 64, 32) and features[1].shape[1] == len(pack(tokenizer, "short")[0])
