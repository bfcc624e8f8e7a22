"""Start 2 workers of tests/distribute_worker.py on 127.0.0.1 (free ports, TF_CONFIG) and wait for both.

Run it inside a network namespace that has only loopback (the tf.distribute server listens on every
interface):  unshare -n sh -c 'ip link set lo up && exec python tests/multi_worker_launch.py MODE SPIECE OUT'
"""
import json
import os
import socket
import subprocess
import sys

WORKER = os.path.join(os.path.dirname(__file__), "distribute_worker.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(mode, spiece, out, timeout=240):
    cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(2)]}
    procs = []
    for i in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})}
        procs.append(subprocess.Popen([sys.executable, WORKER, mode, spiece, out], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    codes = []
    for p in procs:
        try:
            output, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            output, _ = p.communicate()
        codes.append(p.returncode)
        print(f"--- worker rc={p.returncode}\n{output[-4000:]}", flush=True)
    return max(abs(c) for c in codes)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
