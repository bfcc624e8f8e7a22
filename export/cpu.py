"""Which CPU a timing ran on (`keras-albert bench`, the export report and every script under bench/ print it).
int8 speed depends on the CPU kind (AMX, AVX-512 VNNI or only AVX2 int8 GEMM kernels), so every figure we record
names it; AMD's `lscpu` model name alone ("AMD EPYC") does not tell Zen 3 from Zen 4, the family/model numbers
and the ISA flags do."""
import platform
import subprocess

# the flags that decide which XNNPACK int8 GEMM kernel runs, strongest first
INT8_ISA = ("amx_int8", "avx512_vnni", "avx512_bf16", "avx512f", "avx_vnni", "avx2")


def lscpu():
    """lscpu's fields as a dict ({} where lscpu is missing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return {}
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def cpu_model(fields=None):
    """lscpu's model name, e.g. 'AMD EPYC' or 'Intel(R) Xeon(R) Platinum 8488C'."""
    return (fields if fields is not None else lscpu()).get("Model name") or platform.processor() or "unknown CPU"


def cpu_kind():
    """One line for a benchmark table: model name, family/model, cores, threads per core, L2/L3, int8 ISA."""
    fields = lscpu()
    flags = fields.get("Flags", "").split()
    isa = " ".join(f for f in INT8_ISA if f in flags) or "no AVX2"
    return (f"{cpu_model(fields)} (family {fields.get('CPU family', '?')} model {fields.get('Model', '?')}), "
            f"{fields.get('CPU(s)', '?')} cores, {fields.get('Thread(s) per core', '?')} thread(s) per core, "
            f"L2 {fields.get('L2 cache', '?')}, L3 {fields.get('L3 cache', '?')}, {isa}")
