# Sourced (POSIX sh) by ./align4j: prints the JVM's heap option. ALIGN4J_HEAP is a JVM size (20g, 512m: -Xmx) or a
# percentage of the machine's (or container's) memory (70%: -XX:MaxRAMPercentage); the default is 85%. Prints nothing
# when ALIGN4J_JAVA_OPTS already sizes the heap (-Xmx, -XX:MaxHeapSize, -XX:MaxRAMPercentage). A malformed
# ALIGN4J_HEAP fails with one line.
align4j_heap_opts() {
  case " ${ALIGN4J_JAVA_OPTS:-} " in
    *" -Xmx"* | *"-XX:MaxHeapSize="* | *"-XX:MaxRAMPercentage="*) return 0 ;;
  esac
  _align4j_heap=${ALIGN4J_HEAP:-85%}
  case "$_align4j_heap" in
    *%)
      _align4j_pct=${_align4j_heap%\%}
      case "$_align4j_pct" in
        '' | *[!0-9.]* | *.*.* | .*) ;;
        *)
          if awk -v p="$_align4j_pct" 'BEGIN { exit !(p > 0 && p <= 100) }'; then
            echo "-XX:MaxRAMPercentage=$_align4j_pct"
            return 0
          fi
          ;;
      esac
      ;;
    *)
      _align4j_digits=${_align4j_heap%[kKmMgGtT]}
      case "$_align4j_digits" in
        '' | *[!0-9]* | 0 | 00*) ;;
        *)
          echo "-Xmx$_align4j_heap"
          return 0
          ;;
      esac
      ;;
  esac
  echo "align4j: ALIGN4J_HEAP '$_align4j_heap' is neither a JVM size (20g, 512m) nor a percentage of memory (70%)" >&2
  return 2
}

# Prints -XX:+UseTransparentHugePages where Linux offers transparent huge pages to programs that ask (the kernel's
# setting is "always" or "madvise", not "never"): the heap is then mapped in 2 MiB pages, which spares the TLB misses
# and page faults of streaming weights and activations (GPT-2 124M on a 2-core Zen 5: forward 1.19x, training step
# 1.25x, decoding 1.11x). Prints nothing elsewhere (the option exists only on Linux) or when ALIGN4J_JAVA_OPTS
# already names it.
align4j_page_opts() {
  case " ${ALIGN4J_JAVA_OPTS:-} " in
    *"TransparentHugePages"*) return 0 ;;
  esac
  [ "$(uname -s 2>/dev/null)" = Linux ] || return 0
  _align4j_thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) || return 0
  case "$_align4j_thp" in
    *"[never]"*) ;;
    *"["*) echo "-XX:+UseTransparentHugePages" ;;
  esac
}
