// jemalloc's build-time options for the sortie binary (linked only when
// CMake found jemalloc; see docs/development.md, "Allocator").
//
// Why: rank 0 holds every task of a manifest of up to millions of lines,
// and on virtual machines a page fault costs microseconds. With 4 KiB pages
// a 1,000,000-task run spent a third of rank 0's time faulting in fresh
// pages; transparent huge pages for the heap (and jemalloc's own metadata)
// make that 512 times fewer faults and doubled end-to-end throughput of
// function tasks (bench/RESULTS.md). glibc's malloc offers the same only
// through the GLIBC_TUNABLES environment variable, which task processes
// would inherit; this symbol affects sortie alone.

extern "C" {
/// Read by jemalloc when it initialises; MALLOC_CONF in the environment
/// still overrides it.
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,metadata_thp:always";
}
