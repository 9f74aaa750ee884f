# Sourced (POSIX sh) by ./align4j and ./mvnw: exports JAVA_HOME pointing at a JDK >= 25.
# Order: $JAVA_HOME, the java on PATH, then /usr/lib/jvm/*. Fails with one clear line if none.
align4j_jdk_ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  _align4j_major=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  _align4j_major=${_align4j_major%%.*}
  [ -n "$_align4j_major" ] && [ "$_align4j_major" -ge 25 ] 2>/dev/null
}
align4j_pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && align4j_jdk_ok "$JAVA_HOME"; then
    export JAVA_HOME
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    _align4j_c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if align4j_jdk_ok "$_align4j_c"; then
      export JAVA_HOME="$_align4j_c"
      return 0
    fi
  fi
  _align4j_found=$(set +f; for c in /usr/lib/jvm/*; do echo "$c"; done)
  for _align4j_c in $_align4j_found; do
    if align4j_jdk_ok "$_align4j_c"; then
      export JAVA_HOME="$_align4j_c"
      return 0
    fi
  done
  echo "align4j: no JDK >= 25 found (looked at JAVA_HOME, PATH and /usr/lib/jvm/*); install one and set JAVA_HOME" >&2
  return 1
}
