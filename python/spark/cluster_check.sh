#!/usr/bin/env bash
# The README's cluster command, proven on one machine: a Spark standalone
# master and one worker (one core) on 127.0.0.1, from the pyspark
# distribution; the job submitted to them with the wheel shipped as the
# README says, executors running a Python that has pyarrow and pandas but
# NOT installsift (so they can only import it from what was shipped); the
# Parquet's rows checked against the CLI's JSONL of the same files.
#
#   python/spark/cluster_check.sh WHEEL [CLI]
#
# WHEEL: installsift-*-cp39-abi3-*.whl (maturin build --release); CLI:
# the installsift binary to compare with (default target/release/installsift).
# Needs the venv of scripts/test_python.sh (target/py-venv, or
# $INSTALLSIFT_VENV: pyspark; the wheel is installed there for the driver)
# and java. Takes about a minute and
# a half (two JVMs to start, then the job): not part of the test command.
# Leaves nothing running: the master and worker are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
wheel=$(readlink -f "${1:?usage: $0 WHEEL [CLI]}")
cli=$(readlink -f "${2:-target/release/installsift}")
venv=${INSTALLSIFT_VENV:-$root/target/py-venv}
[ -x "$venv/bin/python" ] || { echo "no $venv: run scripts/test_python.sh first" >&2; exit 2; }
spark_home=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME=$spark_home SPARK_LOCAL_IP=127.0.0.1

work=$(mktemp -d /tmp/installsift-cluster.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# The executors' Python: pyarrow and pandas (mapInArrow needs them), the
# versions of python/requirements-test.txt, and no installsift.
bare=$root/target/py-bare
if ! "$bare/bin/python" -c 'import pyarrow, pandas' 2>/dev/null; then
  rm -rf "$bare"
  python3 -m venv "$bare"
  "$bare/bin/pip" install -q --disable-pip-version-check $(grep -E '^(pyarrow|pandas)==' python/requirements-test.txt)
fi
if "$bare/bin/python" -c 'import installsift' 2>/dev/null; then
  echo "$bare has installsift installed: the check would prove nothing" >&2
  exit 2
fi
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"

# A free port for the master (7077 may be taken by a real one).
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
master=spark://127.0.0.1:$port
"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$port" --webui-port 0 > "$work/master.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do grep -q "I have been elected leader" "$work/master.log" && break; sleep 1; done
"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "$master" \
  --host 127.0.0.1 --cores 1 --memory 2g --work-dir "$work/worker" --webui-port 0 > "$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do grep -q "Successfully registered with master" "$work/worker.log" && break; sleep 1; done
grep -q "Successfully registered with master" "$work/worker.log" || { cat "$work/master.log" "$work/worker.log" >&2; exit 1; }

# The README's command. A wheel is a zip: Spark unpacks a .zip archive
# into the executors' working directory (under the name after #), and
# PYTHONPATH puts that directory on their Python's path. The executors
# read the input by path, so it is given absolute (a shared mount on a
# real cluster).
cp "$wheel" "$work/installsift.zip"
t=$SECONDS
PYSPARK_PYTHON=$bare/bin/python PYSPARK_DRIVER_PYTHON=$venv/bin/python \
  "$SPARK_HOME/bin/spark-submit" --master "$master" \
  --archives "$work/installsift.zip#installsift" \
  --conf spark.executorEnv.PYTHONPATH=installsift \
  python/spark/scan_job.py --source paths "$root/corpus" "$work/nodes" > "$work/submit.log" 2>&1 ||
  { tail -n 40 "$work/submit.log" >&2; echo "spark-submit failed" >&2; exit 1; }
grep 'installsift scan job' "$work/submit.log" >&2
echo "job on $master: $((SECONDS - t)) s (spark-submit, JVM start included)" >&2

"$cli" scan --format jsonl "$root/corpus" > "$work/cli.jsonl"
"$venv/bin/python" - "$work/nodes" "$work/cli.jsonl" <<'PY'
import json, sys
import pyarrow.parquet as pq
import installsift
t = pq.read_table(sys.argv[1])
assert t.column("input_error").null_count == t.num_rows, "an input could not be read"
canon = lambda recs: sorted(json.dumps(r, sort_keys=True) for r in recs)
rows = installsift.from_arrow(t)
cli = [json.loads(l) for l in open(sys.argv[2], "rb")]
assert canon(rows) == canon(cli), "the cluster's rows differ from the CLI's"
print(f"cluster check: {len(rows)} rows, equal to the CLI's records", file=sys.stderr)
PY
