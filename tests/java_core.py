"""Compile and run the Android demo's pure-Java core (javac 17, Debian's JUnit 4) from the tests."""
import os
import re
import shutil
import subprocess

import pytest

CORE = os.path.join(os.path.dirname(__file__), os.pardir, "android_demo", "core", "src")
JUNIT_JARS = ("junit4.jar", "hamcrest-core.jar")


def compile_core(out):
    """Main and test sources compiled together into `out`, as `javac --release 17` (the app's language level);
    returns the classpath that runs them (with the test resources and JUnit)."""
    jars = [os.path.join("/usr/share/java", name) for name in JUNIT_JARS]
    missing = [j for j in jars if not os.path.isfile(j)]
    if missing or not shutil.which("javac"):
        pytest.fail(f"needs a JDK 17 and Debian's junit4 (apt-get install junit4); missing: {missing or 'javac'}")
    sources = [os.path.join(d, f) for part in ("main", "test") for d, _, files in os.walk(os.path.join(CORE, part))
               for f in files if f.endswith(".java")]
    done = subprocess.run(["javac", "--release", "17", "-Xlint:all", "-Werror", "-encoding", "UTF-8",
                           "-d", str(out), "-cp", os.pathsep.join(jars), *sources], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return os.pathsep.join([str(out), os.path.join(CORE, "test", "resources"), *jars])


def run_junit(classpath, *properties):
    """Run every test class (TestMain); -> (passed, failed, the finished process)."""
    done = subprocess.run(["java", *properties, "-cp", classpath, "org.kerasalbert.core.TestMain"],
                          capture_output=True, text=True, timeout=120)
    print(done.stdout, done.stderr)
    counts = re.findall(r"^(\d+) passed, (\d+) failed$", done.stdout, re.MULTILINE)
    assert counts, f"no 'N passed, N failed' line:\n{done.stdout}\n{done.stderr}"
    passed, failed = map(int, counts[-1])
    return passed, failed, done
