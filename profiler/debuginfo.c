/* See debuginfo.h. Files are read through our own read-only mappings and
 * elf_memory(), not by handing paths to libdwfl: the module cache already
 * holds the verified image of each object (even after dlclose), and the
 * search order and checks stay ours. */
#include "profiler/debuginfo.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "unwind/range.h"

#define PROF__ELFCLASS (__ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PROF__ELFDATA ELFDATA2LSB
#else
#define PROF__ELFDATA ELFDATA2MSB
#endif

char **prof__debug_roots(const char *dirs) {
  static const char sys[] = "/usr/lib/debug";
  size_t n = 2, len = dirs ? strlen(dirs) : 0;
  for (size_t i = 0; i < len; i++)
    n += dirs[i] == ':';
  n += len > 0;
  char **roots = malloc(n * sizeof(char *) + len + 1 + sizeof(sys));
  if (!roots)
    return NULL;
  char *str = (char *)(roots + n), *save = NULL;
  memcpy(str, dirs ? dirs : "", len + 1);
  size_t k = 0;
  for (char *t = strtok_r(str, ":", &save); t; t = strtok_r(NULL, ":", &save))
    roots[k++] = t;
  roots[k] = str + len + 1;
  memcpy(roots[k++], sys, sizeof(sys));
  roots[k] = NULL;
  return roots;
}

static int prof__native(const unsigned char *data, size_t len) {
  return data && len >= EI_NIDENT && memcmp(data, ELFMAG, SELFMAG) == 0 &&
         data[EI_CLASS] == PROF__ELFCLASS && data[EI_DATA] == PROF__ELFDATA;
}

/* Why libelf maps the file itself (ELF_C_READ_MMAP) instead of being
 * handed our mapping through elf_memory(): libdw decompresses
 * SHF_COMPRESSED debug sections (Debian's debug files have them) by
 * rewriting section headers, which elf_memory() leaves in the caller's
 * memory, read-only here; READ_MMAP keeps its own copies. */
int prof__elffile_map(const char *path, struct prof__elffile *f) {
  memset(f, 0, sizeof(*f));
  /* Paths come from files (a .gnu_debugaltlink may name /dev/stdin or a
   * fifo): only a regular file is read, and opening does not block. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd < 0)
    return -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -1;
  }
  f->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  if (f->elf)
    elf_cntl(f->elf, ELF_C_FDDONE); /* all of it is mapped: fd not needed */
  close(fd);
  char *raw = f->elf ? elf_rawfile(f->elf, &f->len) : NULL;
  f->data = (const unsigned char *)raw;
  f->path = strdup(path);
  if (elf_kind(f->elf) != ELF_K_ELF || !prof__native(f->data, f->len) ||
      !f->path) {
    prof__elffile_unmap(f);
    return -1;
  }
  return 0;
}

void prof__elffile_unmap(struct prof__elffile *f) {
  if (f->elf)
    elf_end(f->elf);
  free(f->path);
  memset(f, 0, sizeof(*f));
}

/* A section with bytes in this file (not NOBITS, as in a stripped
 * object or in the program part of a debug file). */
static int prof__has_section(Elf *elf, const char *name) {
  size_t shstrndx;
  if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
    return 0;
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    const char *n = gelf_getshdr(scn, &sh)
                        ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
    if (n && strcmp(n, name) == 0)
      return sh.sh_type != SHT_NOBITS && sh.sh_size > 0;
  }
  return 0;
}

/* libdw (0.188, Debian 12) inflates every compressed DWARF section it
 * knows when the file is opened. Location lists and macros are never read
 * here (no variable locations, no macros), and in libc6-dbg's file
 * .debug_loclists is a quarter of what is inflated (~10 ms): marking
 * them NOBITS in libelf's private copy of the section headers (the file
 * is not written) makes libdw skip them. Only compressed sections, which
 * are never in the module cache's image read in place. */
static void prof__skip_unread(Elf *elf) {
  static const char *const unread[] = {
      ".debug_loc", ".debug_loclists", ".debug_macro", ".debug_macinfo",
      ".zdebug_loc", ".zdebug_loclists", ".zdebug_macro", ".zdebug_macinfo"};
  size_t shstrndx;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0)
    return;
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    const char *n = gelf_getshdr(scn, &sh)
                        ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
    int compressed = (sh.sh_flags & SHF_COMPRESSED) ||
                     (n && strncmp(n, ".zdebug", 7) == 0);
    for (size_t i = 0; n && compressed && i < sizeof(unread) / sizeof(*unread);
         i++)
      if (strcmp(n, unread[i]) == 0) {
        sh.sh_type = SHT_NOBITS;
        gelf_update_shdr(scn, &sh);
      }
  }
}

static int prof__same_build_id(Elf *elf, const unsigned char *id, int len) {
  const void *got;
  ssize_t n = dwelf_elf_gnu_build_id(elf, &got);
  return len > 0 && n == len && memcmp(got, id, (size_t)len) == 0;
}

/* Maps path into f if it is the debug file of the wanted object: same
 * build-id when there is one, else the CRC .gnu_debuglink recorded. */
static int prof__try_debug(const char *path, const unsigned char *id,
                           int idlen, const uint32_t *crc,
                           struct prof__elffile *f) {
  if (prof__elffile_map(path, f) != 0)
    return -1;
  int ok = idlen ? prof__same_build_id(f->elf, id, idlen)
                 : crc && (uint32_t)crc32_z(0, f->data, f->len) == *crc;
  if (!ok)
    prof__elffile_unmap(f);
  return ok ? 0 : -1;
}

static int prof__by_build_id(char *const *roots, const unsigned char *id,
                             int idlen, struct prof__elffile *f) {
  static const char hex[] = "0123456789abcdef";
  char idhex[2 * 64 + 1], path[PATH_MAX];
  if (idlen < 2)
    return -1;
  for (int i = 0; i < idlen; i++) {
    idhex[2 * i] = hex[id[i] >> 4];
    idhex[2 * i + 1] = hex[id[i] & 15];
  }
  idhex[2 * idlen] = '\0';
  for (char *const *r = roots; *r; r++) {
    snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", *r, idhex,
             idhex + 2);
    if (prof__try_debug(path, id, idlen, NULL, f) == 0)
      return 0;
  }
  return -1;
}

/* gdb's places for a debuglink name: next to the object, in .debug/ next
 * to it, and under each root at the object's own directory. */
static int prof__by_debuglink(const struct prof__module *m, Elf *modelf,
                              char *const *roots, struct prof__elffile *f) {
  GElf_Word crc;
  const char *name = modelf ? dwelf_elf_gnu_debuglink(modelf, &crc) : NULL;
  char self[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
  if (!name || !realpath(m->path, self))
    return -1;
  memcpy(dir, self, sizeof(dir));
  char *slash = strrchr(dir, '/');
  *slash = '\0'; /* realpath() is absolute: there is always one */
  uint32_t want = crc;
  const char *fmt[] = {"%s%s/%s", "%s%s/.debug/%s"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof(path), fmt[i], "", dir, name);
    if (strcmp(path, self) != 0 &&
        prof__try_debug(path, m->build_id, m->build_id_len, &want, f) == 0)
      return 0;
  }
  for (char *const *r = roots; *r; r++) {
    snprintf(path, sizeof(path), fmt[0], *r, dir, name);
    if (prof__try_debug(path, m->build_id, m->build_id_len, &want, f) == 0)
      return 0;
  }
  return -1;
}

/* dwz moves DIEs shared by many objects into one file that the debug file
 * names (.gnu_debugaltlink: a path and that file's build-id). */
static void prof__open_alt(struct prof__debuginfo *di, char *const *roots) {
  const char *name;
  const void *id;
  ssize_t idlen = dwelf_dwarf_gnu_debugaltlink(di->dw, &name, &id);
  if (idlen <= 0 || idlen > 64)
    return;
  if (prof__by_build_id(roots, id, (int)idlen, &di->alt) != 0) {
    char path[PATH_MAX];
    const char *base = di->sep.path ? di->sep.path : "";
    const char *slash = strrchr(base, '/');
    if (name[0] == '/' || !slash)
      snprintf(path, sizeof(path), "%s", name);
    else
      snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - base), base, name);
    if (prof__try_debug(path, id, (int)idlen, NULL, &di->alt) != 0)
      return;
  }
  prof__skip_unread(di->alt.elf);
  di->altdw = dwarf_begin_elf(di->alt.elf, DWARF_C_READ, NULL);
  if (di->altdw)
    dwarf_setalt(di->dw, di->altdw);
}

/* Whether libelf/libdw may read image in place: they write only to
 * decompress sections (SHF_COMPRESSED, or GNU .zdebug_*), and the image
 * is read-only. */
static int prof__in_place_ok(const unsigned char *img, size_t len) {
  const ElfW(Ehdr) *eh = (const void *)img;
  if (!prof__native(img, len) || len < sizeof(*eh) || eh->e_shoff == 0 ||
      eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shstrndx >= eh->e_shnum ||
      eh->e_shoff % _Alignof(ElfW(Shdr)) != 0 ||
      !prof__range_in(eh->e_shoff,
                      (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)), 0, len))
    return 0;
  const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
  const ElfW(Shdr) *str = &sh[eh->e_shstrndx];
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_flags & SHF_COMPRESSED)
      return 0;
    uint64_t name = str->sh_offset + sh[i].sh_name; /* checked below */
    if (name >= str->sh_offset && prof__range_in(name, 7, 0, len) &&
        memcmp(img + name, ".zdebug", 7) == 0)
      return 0;
  }
  return 1;
}

/* The object's own file, when it is still the one the host loaded (same
 * build-id). Replaced on disk (or gone), the module cache's image of what
 * was loaded serves, read in place when that is safe; failing that, only
 * a debug file found by build-id can. The vdso has no file (its image is
 * a copy without section headers: symbolize.c reads its symbols). */
static void prof__open_module(const struct prof__module *m,
                              struct prof__debuginfo *di) {
  if (!m->is_vdso && prof__elffile_map(m->path, &di->self) == 0 &&
      (!m->build_id_len ||
       prof__same_build_id(di->self.elf, m->build_id, m->build_id_len)))
    return;
  prof__elffile_unmap(&di->self);
  if (prof__in_place_ok(m->image, m->image_len)) {
    di->self.elf = elf_memory((char *)m->image, m->image_len);
    di->self.data = m->image;
    di->self.len = m->image_len;
  }
}

static int prof__has_dwarf(Elf *elf) {
  return prof__has_section(elf, ".debug_info") ||
         prof__has_section(elf, ".zdebug_info");
}

void prof__debuginfo_open(const struct prof__module *m, char *const *roots,
                          struct prof__debuginfo *di) {
  memset(di, 0, sizeof(*di));
  prof__open_module(m, di);
  Elf *from = NULL;
  if (prof__has_dwarf(di->self.elf)) {
    from = di->self.elf;
    di->source = m->path;
  } else if (prof__by_build_id(roots, m->build_id, m->build_id_len,
                               &di->sep) == 0 ||
             prof__by_debuglink(m, di->self.elf, roots, &di->sep) == 0) {
    from = di->sep.elf;
    di->source = di->sep.path;
  }
  if (from && prof__has_dwarf(from)) {
    prof__skip_unread(from);
    di->dw = dwarf_begin_elf(from, DWARF_C_READ, NULL);
  }
  if (di->dw)
    prof__open_alt(di, roots);
}

void prof__debuginfo_close(struct prof__debuginfo *di) {
  if (di->dw)
    dwarf_end(di->dw);
  if (di->altdw)
    dwarf_end(di->altdw);
  prof__elffile_unmap(&di->alt);
  prof__elffile_unmap(&di->sep);
  if (di->self.path)
    prof__elffile_unmap(&di->self);
  else if (di->self.elf) /* over the module cache's image */
    elf_end(di->self.elf);
  memset(di, 0, sizeof(*di));
}
