/* The loaded-object cache of the collector.
 *
 * Why a private copy of every object: the collector unwinds snapshots and
 * symbolizes long after the sample, while the host may dlclose() the object
 * at any moment. So each module keeps a read-only mmap of its own file
 * (checked against the build-id seen in memory at load), and unwind tables
 * and symbols are read from that mapping, never from the host's mapping.
 * Module records are never freed before the session ends, so a module id
 * stays valid after the object is unloaded.
 *
 * Collector thread only (not thread-safe); never in a signal handler. */
#ifndef PROF_UNWIND_MODULES_H
#define PROF_UNWIND_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

#define PROF__MODULE_MAX_SEGS 8

struct prof__module_seg {
  uint64_t vaddr, memsz;   /* link-time address range (add bias)      */
  uint64_t offset, filesz; /* where its bytes are in the file          */
  uint32_t flags;          /* PF_X / PF_W / PF_R                       */
};

struct prof__module {
  uint32_t id;             /* index in the cache, stable              */
  char *path;              /* path the loader used (exe: resolved)    */
  uint64_t bias;           /* load bias (dlpi_addr)                   */
  uint64_t lo, hi;         /* absolute range of all PT_LOAD segments  */
  uint64_t text_lo, text_hi; /* absolute range of executable segments */
  uint64_t text_offset;    /* file offset of the first exec segment   */
  uint64_t eh_frame_hdr;   /* absolute address of PT_GNU_EH_FRAME, 0  */
  uint64_t eh_frame_hdr_len;
  struct prof__module_seg seg[PROF__MODULE_MAX_SEGS];
  int nseg;
  unsigned char build_id[64];
  int build_id_len;        /* 0 when the object has none              */
  const unsigned char *image; /* read-only private mapping of the file,
                                 or a copy of the vdso; NULL if neither */
  size_t image_len;
  int unloaded;            /* no longer in the host's link map        */
  int is_vdso;
};

struct prof__modules;

/* Creates the cache and loads the current link map. NULL on ENOMEM. */
PROF__HIDDEN struct prof__modules *prof__modules_new(void);
PROF__HIDDEN void prof__modules_free(struct prof__modules *ms);

/* The loaded module whose segments contain addr, refreshing the cache once
 * if none does and the link map changed. NULL if none. */
PROF__HIDDEN const struct prof__module *
prof__modules_find(struct prof__modules *ms, uint64_t addr);

/* Re-reads the link map if it changed (dlopen/dlclose since last time). */
PROF__HIDDEN void prof__modules_refresh(struct prof__modules *ms);

/* fork: the lock around dl_iterate_phdr is held across fork (prepare),
 * released in the parent and reset in the child. Any thread. */
PROF__HIDDEN void prof__modules_fork_prepare(void);
PROF__HIDDEN void prof__modules_fork_parent(void);
PROF__HIDDEN void prof__modules_fork_child(int held); /* base/forklock.h */

/* Module by id (loaded or not), or NULL. */
PROF__HIDDEN const struct prof__module *
prof__modules_get(const struct prof__modules *ms, uint32_t id);
PROF__HIDDEN uint32_t prof__modules_count(const struct prof__modules *ms);

/* Reads len bytes at absolute address addr of a module from its private
 * image. Returns 0, or -1 if addr is outside the file-backed bytes. */
PROF__HIDDEN int prof__module_read(const struct prof__module *m, uint64_t addr,
                                   void *buf, size_t len);

/* 1 if img (len bytes, untrusted) is an ELF file whose PT_NOTE build-id
 * is want (wantlen bytes; wantlen 0: any ELF file), else 0. Never reads
 * outside img. Thread-safe. */
PROF__HIDDEN int prof__image_has_build_id(const unsigned char *img,
                                          size_t len,
                                          const unsigned char *want,
                                          int wantlen);

/* Lower-case hex of the build-id into buf (>= 2*len+1), "" if none. */
PROF__HIDDEN void prof__module_build_id_hex(const struct prof__module *m,
                                            char *buf, size_t buflen);

#endif
