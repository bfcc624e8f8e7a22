"""`question-answering`: transformers 4.x's extractive QA pipeline (removed from transformers in 5.3), reproduced.

The question goes first and the context is cut into windows of `max_seq_len` pieces that overlap by
`doc_stride` (`packing.pack(..., truncation="only_second", return_overflowing=True)`); every window is scored
(`spans.window_spans`); spans are widened to whole words (`align_to_words`); answers with the same text (case
aside) from several windows add their scores; the best `top_k` win. `start`/`end` are character offsets into
the context as given, so `context[start:end] == answer`.
"""
from keras_albert.packing import pack
from keras_albert.pipelines.base import Pipeline, _positive
from keras_albert.spans import window_spans

WORD_START = "\u2581"


class QuestionAnsweringPipeline(Pipeline):
    """`qa(question=Q, context=C)` (or lists of both, a dict, a list of dicts, or two strings) -> {score, start,
    end, answer}, or a list of the `top_k` best when top_k > 1; a list of those for several questions.
    Arguments as transformers names them: top_k=1, doc_stride=min(max_seq_len // 2, 128), max_answer_len=15,
    max_seq_len=min(the model's positions, 384), handle_impossible_answer=False, align_to_words=True;
    max_question_len is accepted and, as in transformers' pipeline with a fast tokenizer, not applied."""
    name, task = "question-answering", "question_answering"
    needs = "a question-answering model (AlbertQuestionAnswerer)"

    def sanitize(self, **options):
        return answer_options(self.model.config.max_position_embeddings, **options)

    def __call__(self, *args, **kwargs):
        examples, kwargs = _examples(args, kwargs)
        return super().__call__(examples, **kwargs)

    def split(self, examples):
        return len(examples) == 1, examples

    def to_rows(self, i, example, opts):
        return question_windows(self.tokenizer, *example, opts.post)

    def postprocess(self, example, windows, outputs, **post):
        return assemble_answers(self.tokenizer, example[1], [(w, (o["start_logits"], o["end_logits"]))
                                                             for w, o in zip(windows, outputs)], post)


def answer_options(positions, top_k=1, doc_stride=None, max_answer_len=15, max_seq_len=None, max_question_len=64,
                   handle_impossible_answer=False, align_to_words=True, padding=None):
    """The call's options checked, with transformers' defaults for a model of `positions` positions (the
    pipeline's position table, or an exported model's sequence length)."""
    _positive("top_k", top_k), _positive("max_answer_len", max_answer_len), _positive("max_question_len",
                                                                                      max_question_len)
    max_seq_len = min(positions, 384) if max_seq_len is None else max_seq_len
    _positive("max_seq_len", max_seq_len)
    if max_seq_len > positions:
        raise ValueError(f"max_seq_len {max_seq_len} is more than the model's {positions} positions")
    doc_stride = min(max_seq_len // 2, 128) if doc_stride is None else doc_stride
    if isinstance(doc_stride, bool) or not isinstance(doc_stride, int) or doc_stride < 0:
        raise ValueError(f"doc_stride must be a non-negative integer, got {doc_stride!r}")
    if doc_stride > max_seq_len:
        raise ValueError(f"doc_stride ({doc_stride}) is larger than max_seq_len ({max_seq_len})")
    return dict(top_k=top_k, doc_stride=doc_stride, max_answer_len=max_answer_len, max_seq_len=max_seq_len,
                handle_impossible_answer=bool(handle_impossible_answer), align_to_words=bool(align_to_words))


def question_windows(tokenizer, question, context, post):
    """The question first, then the context's windows: one `packing.Encoding` per window."""
    return pack(tokenizer, question, context, max_length=post["max_seq_len"], truncation="only_second",
                stride=post["doc_stride"], return_overflowing=True)


def assemble_answers(tokenizer, context, windows, post):
    """[(window, (start_logits, end_logits))] of one question -> its answers (a dict, or a list when top_k > 1):
    every window scored, spans widened to words, equal answers from several windows summed. Shared by the
    pipeline and the exported models' runtime, so both answer alike."""
    pre_top_k = post["top_k"] * 2 + 10 if post["align_to_words"] else post["top_k"]
    answers, null_score = [], 1000000.0
    for window, (start_logits, end_logits) in windows:
        n = len(window)
        allowed = [s == 1 for s in window.sequence_ids]
        allowed[0] = True  # [CLS]: the "no answer" position
        starts, ends, scores, null = window_spans(start_logits[:n], end_logits[:n], allowed, pre_top_k,
                                                  post["max_answer_len"])
        if post["handle_impossible_answer"]:
            null_score = min(null_score, null)
        for s, e, score in zip(starts, ends, scores):
            begin, end = _chars(tokenizer, window, int(s), int(e), post["align_to_words"])
            text = context[begin:end]
            same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
            if same:
                same["score"] += float(score)
            else:
                answers.append({"score": float(score), "start": begin, "end": end, "answer": text})
    if post["handle_impossible_answer"]:
        answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda a: a["score"], reverse=True)[:post["top_k"]]
    return answers[0] if len(answers) == 1 else answers


def _chars(tokenizer, window, s, e, align_to_words):
    """Piece indices -> character span in the context; with align_to_words, the whole words they lie in."""
    if align_to_words and window.sequence_ids[s] == 1 and window.sequence_ids[e] == 1:
        return window.offsets[_word(tokenizer, window, s)[0]][0], window.offsets[_word(tokenizer, window, e)[1]][1]
    return window.offsets[s][0], window.offsets[e][1]


def _word(tokenizer, window, i):
    """(first, last) piece of the context word holding piece i, within this window: a word starts at a piece
    beginning with '▁', as the fast tokenizer's pre-tokenizer splits words."""
    is_context = [s == 1 for s in window.sequence_ids]

    def starts_word(piece_id):
        return tokenizer.id_to_piece(piece_id).startswith(WORD_START)

    first = i
    while first > 0 and is_context[first - 1] and not starts_word(window.ids[first]):
        first -= 1
    last = i
    while last + 1 < len(window) and is_context[last + 1] and not starts_word(window.ids[last + 1]):
        last += 1
    return first, last


def _examples(args, kwargs):
    """transformers' argument forms -> ([(question, context)], the remaining keyword arguments)."""
    kwargs = dict(kwargs)
    question, context = kwargs.pop("question", None), kwargs.pop("context", None)
    if args:
        if len(args) == 2 and all(isinstance(a, str) for a in args):
            items = [{"question": args[0], "context": args[1]}]
        elif len(args) == 1:
            items = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
        else:
            items = list(args)
    elif question is not None and context is not None:
        if isinstance(question, str) and isinstance(context, str):
            items = [{"question": question, "context": context}]
        elif isinstance(question, list) and isinstance(context, str):
            items = [{"question": q, "context": context} for q in question]
        elif isinstance(question, list) and isinstance(context, list):
            if len(question) != len(context):
                raise ValueError(f"{len(question)} questions but {len(context)} contexts: give one context per "
                                 "question, or one for all")
            items = [{"question": q, "context": c} for q, c in zip(question, context)]
        else:
            raise ValueError("question must be a string or a list of strings, context a string or a list of them")
    else:
        raise ValueError("give question= and context= (or a dict {'question': ..., 'context': ...})")
    examples = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"{item!r} is not a dict with 'question' and 'context'")
        for key in ("question", "context"):
            if key not in item:
                raise ValueError("each input needs both 'question' and 'context'")
            if not isinstance(item[key], str):
                raise ValueError(f"`{key}` must be a string, got {type(item[key]).__name__}")
            if not item[key]:
                raise ValueError(f"`{key}` cannot be empty")
        examples.append((item["question"], item["context"]))
    if not examples:
        raise ValueError("no question given")
    return examples, kwargs
