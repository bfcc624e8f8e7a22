import subprocess
import sys


def test_info_builds_a_preset_and_runs_a_sentence():
    result = subprocess.run([sys.executable, "-m", "keras_albert_cli.cli", "info", "albert-base-v2", "--text",
                             "A fine film."], capture_output=True, text=True, check=True)
    assert "11,683,584 parameters" in result.stdout
    assert "pooled_output (1, 768)" in result.stdout


def test_unknown_preset_is_one_clear_line():
    result = subprocess.run([sys.executable, "-m", "keras_albert_cli.cli", "info", "albert-huge-v9"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("keras-albert info: error: unknown preset")
