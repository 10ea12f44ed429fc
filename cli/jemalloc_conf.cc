// jemalloc's options for the executables that link it (jobsd_allocator in
// CMakeLists.txt): jemalloc reads this symbol at start-up. MALLOC_CONF in
// the environment still overrides it.
//
// Each thread caches freed blocks for itself, and only a thread can give its
// own cache back. With jemalloc's defaults (blocks up to 32 KiB, up to 200
// of a small size) serve's ~27 threads kept 5.6 MB cached after a burst, out
// of reach of the idle trimmer's purge: RSS a minute after the
// bench/memory.sh burst stayed at 1.46x idle (1.23x with glibc). Caching
// blocks up to 4 KiB, 32 of a size at most: 1.9 MB cached, 1.25x idle, and
// the same POST and list rates (`wrk -c64`, alternating runs).
extern "C" {
const char* malloc_conf = "tcache_max:4096,tcache_nslots_small_max:32";
}
