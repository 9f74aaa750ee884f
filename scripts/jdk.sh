# Sourced by ./align4j and .ci/run: exports JAVA_HOME pointing at a JDK >= 25.
# Order: $JAVA_HOME, the java on PATH, then /usr/lib/jvm/*. Fails with one clear line if none.
align4j_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}
align4j_pick_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(align4j_java_major "$c")
    major=${major%%.*}
    if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  echo "align4j: no JDK >= 25 found (looked at JAVA_HOME, PATH and /usr/lib/jvm/*); install one and set JAVA_HOME" >&2
  return 1
}
