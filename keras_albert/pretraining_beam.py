"""The streaming pretraining data on Apache Beam: the same per-document function as the local writer
(`pretraining_stream.document_records`), so any runner (Direct, Dataflow, Flink, Spark) writes the same
examples as one process. Beam is an optional extra: `pip install 'keras-albert[beam]'`.

Files are read whole by one worker each (documents span lines, so Beam's line splitting cannot be used), then
the documents are reshuffled across the workers: give a large corpus as many files.
"""
import functools
import json
import os

from keras_albert.pretraining_stream import (document_counts, document_records, file_documents, iter_documents,
                                             merge_counts)


def beam_module():
    try:
        import apache_beam
    except ImportError:
        raise ValueError("the Beam runner needs Apache Beam: pip install 'keras-albert[beam]'") from None
    return apache_beam


def _read(path):
    """Documents of one corpus entry, on any file system Beam knows (local, gs://, hdfs://, s3://)."""
    from apache_beam.io.filesystems import FileSystems
    from keras_albert import data
    if path in data.SOURCES:
        yield from iter_documents([path])
        return
    if not FileSystems.exists(path):
        raise FileNotFoundError(f"corpus file not found: {path}")
    with FileSystems.open(path) as f:
        yield from file_documents(path, f)


@functools.lru_cache(maxsize=4)
def _worker_state(model_proto, opts):
    from keras_albert.pretraining_data import word_start_table
    from keras_albert.tokenizer import AlbertTokenizer
    tokenizer = AlbertTokenizer(model_proto)
    return tokenizer, word_start_table(tokenizer) if opts.whole_word else None


def _outputs(doc, model_proto, opts):
    """Main output: train records; tagged: eval records and the document's counts."""
    from apache_beam import pvalue
    tokenizer, starts = _worker_state(model_proto, opts)
    outputs = document_records(doc, tokenizer, opts, starts)
    for split, _, records in outputs:
        for r in records:
            yield r if split == "train" else pvalue.TaggedOutput("eval", r)
    yield pvalue.TaggedOutput("counts", document_counts(doc, outputs))


def build_pipeline(pipeline, paths, out, model_proto, opts):
    """Add the steps to `pipeline`: `out` (a folder or a URL prefix such as gs://bucket/shards) gets
    train-*-of-N.tfrecord, eval-00000-of-00001.tfrecord and `counts.json` (merged `document_counts`)."""
    beam = beam_module()
    docs = (pipeline | "corpus" >> beam.Create(list(paths)) | "read" >> beam.FlatMap(_read)
            | "spread" >> beam.Reshuffle())
    outs = docs | "examples" >> beam.FlatMap(_outputs, model_proto, opts).with_outputs("eval", "counts", main="train")
    write = functools.partial(beam.io.WriteToTFRecord, file_name_suffix=".tfrecord")
    outs.train | "write train" >> write(os.path.join(out, "train"), num_shards=opts.num_shards)
    outs.eval | "write eval" >> write(os.path.join(out, "eval"), num_shards=1)
    (outs.counts | "count" >> beam.CombineGlobally(merge_counts) | "to json" >> beam.Map(json.dumps)
     | "write counts" >> beam.io.WriteToText(os.path.join(out, "counts.json"), shard_name_template=""))


def run_beam(paths, folder, model_proto, opts, runner="DirectRunner", workers=1, beam_args=()):
    """Run the pipeline on `runner` into the local `folder`; returns the counts. DirectRunner with workers > 1
    runs them as processes (`--direct_num_workers N --direct_running_mode multi_processing`)."""
    beam = beam_module()
    from apache_beam.options.pipeline_options import PipelineOptions
    args = ["--runner", runner, *beam_args]
    if runner == "DirectRunner" and workers > 1 and "--direct_num_workers" not in beam_args:
        args += ["--direct_num_workers", str(workers), "--direct_running_mode", "multi_processing"]
    with beam.Pipeline(options=PipelineOptions(args)) as pipeline:
        build_pipeline(pipeline, paths, folder, model_proto, opts)
    path = os.path.join(folder, "counts.json")
    with open(path) as f:
        counts = json.load(f)
    os.remove(path)
    return counts
