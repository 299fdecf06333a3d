/* The optional on-disk symbol cache (LIBPROF_CACHE_DIR): for each object
 * with a build-id, the frames its PCs resolved to, so that the next run
 * of a program names them without opening, decompressing and indexing
 * the debug files again (libc6-dbg's: ~50 ms). docs/symbolization.md
 * describes the file and its rules.
 *
 * One file per build-id, <dir>/<build-id hex>.sym. Written atomically (a
 * temporary file created 0600 with O_EXCL, then rename), read with
 * O_NOFOLLOW, checked whole before use (magic, version, byte order, the
 * build-id, every record in bounds): a corrupt, truncated or foreign
 * file is ignored and replaced at the end of the session. The directory
 * is created 0700; one that is a symlink, not a directory, not ours or
 * not writable is refused (one line in the log) and the profile is made
 * without the cache. Collector only; a table is used by one thread. */
#ifndef PROF_PROFILER_SYMDISK_H
#define PROF_PROFILER_SYMDISK_H

#include <stddef.h>
#include <stdint.h>

#include "profiler/symbolize.h"

#define PROF__SYMDISK_MISS (-1000) /* prof__symdisk_emit: not cached */

struct prof__symdisk;

/* Opens dir (LIBPROF_CACHE_DIR) for the cache: created 0700 when
 * missing, refused when it is a symlink, not a directory, owned by
 * another user, writable by others or not writable. Returns a directory
 * fd (O_CLOEXEC; the caller closes it), or -1 with a one-line reason (no
 * newline) in why. */
PROF__HIDDEN int prof__symdisk_dir(const char *dir, char *why, size_t len);

/* prof__symdisk_dir for dir, or for LIBPROF_CACHE_DIR (secure_getenv)
 * when dir is NULL: -1 with why empty when that is unset or empty. Called
 * at the start of a session to say once why the cache is refused, and by
 * each symbolizer. */
PROF__HIDDEN int prof__symdisk_open_env(const char *dir, char *why,
                                        size_t len);

/* At the start of a session: 0 when LIBPROF_CACHE_DIR is unset or
 * usable, else -1 with the line to say (newline included) in why. */
PROF__HIDDEN int prof__symdisk_check(const char *dir, char *why, size_t len);

/* The table of one object from the bytes of a cache file (copied), for
 * build-id id. NULL when the bytes are not a valid file for it, or on
 * ENOMEM. Never reads outside buf[0, len). */
PROF__HIDDEN struct prof__symdisk *
prof__symdisk_parse(const unsigned char *buf, size_t len,
                    const unsigned char *id, int idlen);

/* The table of the object with build-id id from the directory dirfd:
 * what its file holds when it is valid, else an empty table to be filled
 * and saved. NULL on ENOMEM or when id cannot name a file. */
PROF__HIDDEN struct prof__symdisk *prof__symdisk_load(int dirfd,
                                                      const unsigned char *id,
                                                      int idlen);

/* Emits the cached frames of offset off (pc - load bias) to fn, a raw
 * frame as "<base>+0x<off>". Returns PROF__SYMDISK_MISS when off is not
 * cached, else what fn returned (0 for all). */
PROF__HIDDEN int prof__symdisk_emit(const struct prof__symdisk *d,
                                    uint64_t off, int is_call,
                                    const char *base, prof__symframe_fn fn,
                                    void *arg);

/* Records the frames of one PC resolved from the debug information:
 * begin, one frame call per frame (raw: a "module+0x..." name, stored
 * without its module name), end (ok == 0 drops the record). */
PROF__HIDDEN void prof__symdisk_begin(struct prof__symdisk *d, uint64_t off,
                                      int is_call);
PROF__HIDDEN void prof__symdisk_frame(struct prof__symdisk *d,
                                      const struct prof__symframe *f, int raw);
PROF__HIDDEN void prof__symdisk_end(struct prof__symdisk *d, int ok);

/* Writes the table to dir when records were added. Failures are silent:
 * the cache is an optimization. */
PROF__HIDDEN void prof__symdisk_save(int dirfd,
                                     const struct prof__symdisk *d);
PROF__HIDDEN void prof__symdisk_free(struct prof__symdisk *d);

#endif
