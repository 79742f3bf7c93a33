# Shared by the bench/*.sh scripts (sourced, not run): their usage text and
# the checks of their arguments, so that each script lists only its own
# options and every script complains the same way, naming itself.

bench_script=$(basename "$0")

# bench_usage: the script's header comment (from line 2 to the first line
# that is not a comment), without its "# ".
bench_usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

# bench_fail MESSAGE: says MESSAGE, naming the script, and exits 2 (usage).
bench_fail() {
    echo "$bench_script: $1" >&2
    exit 2
}

# bench_unknown_argument ARG: refuses ARG, then shows the usage.
bench_unknown_argument() {
    echo "$bench_script: unknown argument '$1'" >&2
    bench_usage >&2
    exit 2
}

# bench_positive VALUE...: exits 2 unless every VALUE is an integer > 0.
bench_positive() {
    local v
    for v in "$@"; do
        case "$v" in
            '' | *[!0-9]* | 0) bench_fail "'$v' is not a positive integer" ;;
        esac
    done
}

# bench_executable PATH WHAT [HINT]: exits 2 unless PATH can be run, saying
# "no WHAT at PATH" and the HINT.
bench_executable() {
    [ -x "$1" ] || bench_fail "no $2 at $1${3:+ ($3)}"
}

# bench_sortie_binary PATH: checks the sortie binary at PATH and prints its
# absolute path (the scripts run sortie from temporary directories).
bench_sortie_binary() {
    bench_executable "$1" "sortie binary" "build first"
    echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}
