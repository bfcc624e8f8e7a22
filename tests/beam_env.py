"""A virtual environment for the Apache Beam test, made once and kept in build/beam-venv.

apache-beam 2.77 pins protobuf < 7, while the test environment's sentencepiece 0.2.3 ships generated code that
needs protobuf >= 7.36, so Beam cannot live beside it. This environment holds Beam, a protobuf that both Beam
(< 7) and TensorFlow 2.21 (>= 6.31.1) accept, and sentencepiece 0.2.1 (generated code older than protobuf 7's
version check; tokenizing needs nothing newer); everything else (TensorFlow, for tf.train.Example) comes from
the running interpreter's site-packages, appended after the environment's own by a .pth file.
"""
import os
import shutil
import subprocess
import sys
import sysconfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "build", "beam-venv")
REQUIREMENTS = ["apache-beam[tfrecord]==2.77.*", "protobuf>=6.31.1,<7", "sentencepiece==0.2.1"]
MARKER = "requirements.txt"  # written last: its presence (with these lines) means the environment is complete


def _python(venv):
    return os.path.join(venv, "bin", "python")


def beam_python():
    """-> the environment's interpreter, creating the environment first if needed (about 30 s with a network)."""
    marker = os.path.join(VENV, MARKER)
    if os.path.isfile(marker) and open(marker).read().split("\n") == REQUIREMENTS:
        return _python(VENV)
    tmp = f"{VENV}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", tmp], check=True)
    p = subprocess.run([_python(tmp), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
                       capture_output=True, text=True)
    if p.returncode:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"pip install {' '.join(REQUIREMENTS)} failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    site = subprocess.run([_python(tmp), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    base = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    with open(os.path.join(site, "zz_base_environment.pth"), "w") as f:
        f.write("\n".join(base) + "\n")
    with open(os.path.join(tmp, MARKER), "w") as f:
        f.write("\n".join(REQUIREMENTS))
    shutil.rmtree(VENV, ignore_errors=True)
    os.replace(tmp, VENV)
    return _python(VENV)


def run_in_beam_env(script, *args, timeout=600):
    """Run a script of tests/ in the Beam environment, this checkout's keras_albert first on the path (also for
    the runner's worker processes)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([beam_python(), os.path.join(ROOT, "tests", script), *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=timeout)
