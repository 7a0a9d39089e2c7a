/*
 * memcpy census: counts the calls to memcpy of a program by call site and size, to find the
 * values a Rust hot path moves (issue 14: on an AMD EPYC guest, memmove was about a quarter
 * of the warm invocation's samples).
 *
 *   gcc -O2 -shared -fPIC -o /tmp/memcpy-census.so tools/bench/memcpy-census.c -ldl
 *   HOTPATH_ROWS=dispatch MEMCPY_CENSUS=/tmp/census.txt LD_PRELOAD=/tmp/memcpy-census.so \
 *       target/release/deps/hotpath-<hash> --bench
 *
 * Each line of the output is `calls bytes offset object`: the offset is the call site's
 * address within the object, for `addr2line -f -C -e <object> 0x<offset>`. Calls that happen
 * once per invocation show up with the invocation count (501,000 for the dispatch row).
 * Only calls through the PLT are seen (the Rust code's; not glibc's own).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

static struct {
    void *site;
    size_t size;
    unsigned long calls;
} table[SLOTS];
static volatile int counting;

static void dump(void) {
    const char *path = getenv("MEMCPY_CENSUS");
    FILE *out = fopen(path ? path : "memcpy-census.txt", "w");
    if (!out) return;
    for (int i = 0; i < SLOTS; i++) {
        if (!table[i].calls) continue;
        Dl_info info;
        if (!dladdr(table[i].site, &info)) continue;
        fprintf(out, "%lu %zu %lx %s\n", table[i].calls, table[i].size,
                (unsigned long)((char *)table[i].site - (char *)info.dli_fbase), info.dli_fname);
    }
    fclose(out);
}

__attribute__((constructor)) static void start(void) {
    atexit(dump);
    counting = 1;
}

static void note(void *site, size_t size) {
    if (!counting) return;
    uintptr_t h = ((uintptr_t)site * 2654435761u ^ size * 40503u) % SLOTS;
    for (int k = 0; k < SLOTS; k++) {
        int i = (h + k) % SLOTS;
        /* Racy between threads by design: a census, not an exact count. */
        if (table[i].calls == 0) {
            table[i].site = site;
            table[i].size = size;
        }
        if (table[i].site == site && table[i].size == size) {
            __atomic_add_fetch(&table[i].calls, 1, __ATOMIC_RELAXED);
            return;
        }
    }
}

void *memcpy(void *dst, const void *src, size_t n) {
    note(__builtin_return_address(0), n);
    return memmove(dst, src, n);
}
