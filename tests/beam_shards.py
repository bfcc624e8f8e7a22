"""Runs in the Beam environment (tests/beam_env.py) for tests/test_pretrain_stream.py: our Beam pipeline on
DirectRunner with 2 worker processes writes the shards of a corpus; prints the library versions and the counts.

python tests/beam_shards.py CORPUS SPIECE OUT OPTIONS_JSON
"""
import json
import sys


def main(corpus, spiece, out, options):
    import apache_beam
    import google.protobuf
    import sentencepiece

    from keras_albert.pretraining_beam import run_beam
    from keras_albert.pretraining_stream import ExampleOptions
    with open(spiece, "rb") as f:
        model_proto = f.read()
    counts = run_beam([corpus], out, model_proto, ExampleOptions(**json.loads(options)), "DirectRunner", workers=2)
    print(json.dumps({"beam": apache_beam.__version__, "protobuf": google.protobuf.__version__,
                      "sentencepiece": sentencepiece.__version__, "counts": counts}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
