#!/usr/bin/env bash
# Runs the Spark scoring job on this machine without a Spark distribution: the same job class that
# spark-submit runs, on the spark module's Maven class path (Spark included), master local[*] unless
# -Dspark.master=... is in SPARK_LOCAL_JAVA_OPTS.
#
#   tools/spark_local.sh --model runs/photos/deploy --list val.txt --out scores.parquet   # BatchScoring
#   tools/spark_local.sh report --scores scores.parquet --list val.txt --model runs/photos/deploy
#
# Builds core + spark first when their sources changed. SPARK_LOCAL_JAVA_OPTS adds JVM options
# (default -Xmx4g), e.g. "-Xmx8g -Dspark.master=local[2]".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$here/spark/target/repvgg-spark.jar"
classpath="$here/spark/target/local-classpath.txt"

stale() {
  [[ ! -f "$jar" || ! -f "$classpath" ]] && return 0
  [[ -n "$(find "$here/pom.xml" "$here/core/pom.xml" "$here/spark/pom.xml" "$here/core/src/main" "$here/spark/src/main" \
      -newer "$jar" -print -quit 2>/dev/null)" ]]
}

if stale; then
  echo "spark_local: building core + spark (first use or sources changed) ..." >&2
  (cd "$here" && mvn -B -q -pl core,spark -am -DskipTests package) >&2
fi

main=org.repvgg4j.spark.BatchScoring
if [[ "${1:-}" == "report" ]]; then
  main=org.repvgg4j.spark.ScoreReport
  shift
fi

# What spark-submit adds on Java 17 (see spark/pom.xml), the offline switch for DJL's native
# library (it comes from the Maven jar), Spark's log at WARN (INFO buries the job's output) and
# Spark's console progress bar (tasks done per stage) in its place.
# As in ./repvgg: libtorch's OpenMP threads must not spin while task threads decode images, and
# glibc's malloc keeps freed tensor memory instead of page-faulting it in again.
source "$(dirname "${BASH_SOURCE[0]}")/runtime_env.sh"
repvgg_env_for score
exec java ${SPARK_LOCAL_JAVA_OPTS:--Xmx4g} \
  -XX:+IgnoreUnrecognizedVMOptions \
  --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens=java.base/java.io=ALL-UNNAMED \
  --add-opens=java.base/java.net=ALL-UNNAMED \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
  --add-opens=java.base/sun.security.action=ALL-UNNAMED \
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
  -Djdk.reflect.useDirectMethodHandle=false \
  -Dai.djl.offline=true \
  -Dlog4j2.configurationFile="$here/tools/spark-log4j2.properties" \
  -Dspark.ui.showConsoleProgress=true \
  -cp "$jar:$(cat "$classpath")" "$main" "$@"
