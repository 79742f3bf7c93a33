// jemalloc's build-time options for the sortie binary (linked only when
// CMake found jemalloc; see docs/development.md, "Allocator").
//
// Why these: rank 0 holds every task of a manifest of up to millions of
// lines, and on virtual machines a page fault costs microseconds. Huge pages
// for the heap (`thp:always`) fault 512 times fewer pages, and were the
// default until we found that a guest whose balloon reports free memory to
// the host pays far more for them: a free 2 MiB block is just what the guest
// hands back, and touching one again costs about 6 ms per MB, so a
// 1,000,000-task run after a pause of a few seconds took 2-3 s instead of
// 0.8 s (bench/RESULTS.md, item (3)). sortie now follows the system's
// transparent-huge-page policy, as other programs do: huge pages where the
// administrator enabled them for every process, none where they are
// "madvise" only. MALLOC_CONF=thp:always,metadata_thp:always asks for them.

extern "C" {
/// Read by jemalloc when it initialises; MALLOC_CONF in the environment
/// still overrides it.
extern const char* malloc_conf;
const char* malloc_conf = "thp:default,metadata_thp:disabled";
}
