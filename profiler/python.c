/* CPython 3.11 support, collector side (see profiler/python.h). */
#include "profiler/python.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "libprof.h"
#include "base/grow.h"
#include "base/hash.h"
#include "sigpath/python.h"
#include "sigpath/python311.h"

static pthread_mutex_t prof__py_setup_lock = PTHREAD_MUTEX_INITIALIZER;
static int prof__py_refused; /* another version, said once */
static int prof__py_found;   /* set up: prof__py's fields are valid */
static uintptr_t prof__py_text_lo, prof__py_text_hi; /* the interpreter's object */
static uintptr_t prof__py_str_type, prof__py_bytes_type;

/* A symbol's [address, address + size), from the dynamic symbol table.
 * Returns 0, or -1 if the process has no such symbol. */
static int prof__py_sym(const char *name, uintptr_t *lo, uintptr_t *hi) {
  void *p = dlsym(RTLD_DEFAULT, name);
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (!p || !dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
    return -1;
  *lo = (uintptr_t)p;
  *hi = *lo + sym->st_size;
  return 0;
}

static void prof__py_say(const char *line) {
  if (write(STDERR_FILENO, line, strlen(line)) < 0)
    return; /* stderr closed: nothing to tell */
}

static void prof__py_tb_none(void *arg) { /* records come from python_walk.c */
  struct prof_traceback_arg *a = arg;
  if (a->max)
    a->buf[0] = 0;
}

static void prof__py_symbolize(void *arg);
static void prof__py_dealloc(void *code);
static void (*prof__py_orig_dealloc)(void *);
static void prof__py_hook_dealloc(uintptr_t code_type);

/* Checks the interpreter is CPython 3.11 with the layout we know. */
static int prof__py_check(uintptr_t *rt) {
  uintptr_t rt_hi, v_lo, v_hi;
  if (prof__py_sym("_PyRuntime", rt, &rt_hi) != 0 ||
      prof__py_sym("Py_Version", &v_lo, &v_hi) != 0)
    return -1; /* not Python (or before 3.11, which lacks Py_Version) */
  unsigned long v = *(const unsigned long *)v_lo & 0xffffffffu;
  char line[160];
  if (v >= PROF__PY_VERSION_MIN && v <= PROF__PY_VERSION_MAX &&
      rt_hi - *rt == PROF__PY_RUNTIME_SIZE)
    return 0;
  prof__py_refused = 1;
  snprintf(line, sizeof(line),
           "libprof: Python %lu.%lu.%lu is not supported (3.11.1 or later 3.11 "
           "only): profiling its native frames only\n",
           v >> 24, v >> 16 & 0xff, v >> 8 & 0xff);
  prof__py_say(line);
  return -1;
}

/* dl_iterate_phdr callback: notes the address range of the loaded object
 * holding `at` (the executable or libpython). */
static int prof__py_object(struct dl_phdr_info *info, size_t size, void *at) {
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr;
    lo = a < lo ? a : lo;
    hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
  }
  if ((uintptr_t)at < lo || (uintptr_t)at >= hi)
    return 0;
  prof__py_text_lo = lo, prof__py_text_hi = hi;
  return 1;
}

static void prof__py_detect(void) {
  uintptr_t rt, code_lo, code_hi, eval_lo, eval_hi, hi;
#if !defined(__x86_64__) /* python311.h: the offsets and entry window */
  return;                 /* were measured on x86-64 only */
#endif
  if (prof__py_check(&rt) != 0 ||
      prof__py_sym("PyCode_Type", &code_lo, &code_hi) != 0 ||
      prof__py_sym("PyUnicode_Type", &prof__py_str_type, &hi) != 0 ||
      prof__py_sym("PyBytes_Type", &prof__py_bytes_type, &hi) != 0 ||
      prof__py_sym("_PyEval_EvalFrameDefault", &eval_lo, &eval_hi) != 0)
    return;
  dl_iterate_phdr(prof__py_object, (void *)eval_lo);
  int id = prof_runtime_register(0, "python", prof__py_tb_none, NULL,
                                 prof__py_symbolize);
  if (id < 0)
    return;
  prof__py_hook_dealloc(code_lo);
  prof__py.runtime = id;
  prof__py.rt = rt;
  prof__py.code_type = code_lo;
  prof__py.eval_lo = eval_lo;
  prof__py.eval_hi = eval_hi;
  prof__py_found = 1;
}

static void prof__py_lock_all(void);
static void prof__py_unlock_all(void);

/* 3.11 has no code watchers: PyCode_Type's tp_dealloc is replaced (one
 * aligned pointer store, never undone: the library is never unloaded) by
 * prof__py_dealloc, which reads a dying code object that samples named.
 * The lock it takes is held across fork, so a child never inherits it
 * locked by the collector (which does not exist there). */
static void prof__py_hook_dealloc(uintptr_t code_type) {
  void (**slot)(void *) = (void (**)(void *))(code_type + PROF__PY_TYPE_DEALLOC);
  prof__py_orig_dealloc = *slot;
  pthread_atfork(prof__py_lock_all, prof__py_unlock_all, prof__py_unlock_all);
  __atomic_store_n(slot, prof__py_dealloc, __ATOMIC_RELEASE);
}

/* Looked for at each session start until found (or refused): a libpython
 * dlopen'ed after one session is found by the next. */
void prof__python_setup(int enable) {
  pthread_mutex_lock(&prof__py_setup_lock);
  if (enable && !prof__py_found && !prof__py_refused)
    prof__py_detect();
  atomic_store_explicit(&prof__py.on, enable && prof__py_found,
                        memory_order_release);
  pthread_mutex_unlock(&prof__py_setup_lock);
}

/* ---- code objects, read from the collector ---- */

/* What the collector knows of one code object: its names and a copy of
 * its line table (or `gone`: it could not be read), and whether it has
 * died (`death`: prof__py_deaths when its deallocation hook ran). Objects
 * that had the same address are chained from the newest, by `older`. */
struct prof__py_code {
  uintptr_t addr;
  int live;
  uint32_t death;
  int64_t older; /* index, or -1 */
  int gone;
  int firstlineno;
  char *name, *file;
  unsigned char *lines;
  size_t nlines;
};

#define PROF__PY_UNTRACKED UINT32_MAX /* location of an untracked frame */

struct prof__py_loc {
  uint32_t code; /* index in codes, or PROF__PY_UNTRACKED */
  int line;
};

static pthread_mutex_t prof__py_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prof__py_code *prof__py_codes;
static size_t prof__py_ncodes, prof__py_capcodes;
static struct prof__hash_table prof__py_code_index; /* addr -> heads[] */
static int64_t *prof__py_heads; /* per address: its newest code entry */
static size_t prof__py_nheads, prof__py_capheads;
static struct prof__py_loc *prof__py_locs;
static size_t prof__py_nlocs, prof__py_caplocs;
static struct prof__hash_table prof__py_loc_index;

/* A fault-free copy from our own memory: the object may be gone. */
static int prof__py_peek(uintptr_t a, void *dst, size_t n) {
  struct iovec local = {dst, n}, remote = {(void *)a, n};
  return a && process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
                  (ssize_t)n ? 0 : -1;
}

static uint64_t prof__py_word(const unsigned char *b, unsigned off) {
  uint64_t v;
  memcpy(&v, b + off, sizeof(v));
  return v;
}

/* Appends code point c as UTF-8. */
static size_t prof__py_utf8(char *out, uint32_t c) {
  if (c < 0x80)
    return out[0] = (char)c, 1;
  if (c < 0x800)
    return out[0] = (char)(0xc0 | c >> 6), out[1] = (char)(0x80 | (c & 63)), 2;
  if (c < 0x10000) {
    out[0] = (char)(0xe0 | c >> 12), out[1] = (char)(0x80 | (c >> 6 & 63));
    return out[2] = (char)(0x80 | (c & 63)), 3;
  }
  out[0] = (char)(0xf0 | c >> 18), out[1] = (char)(0x80 | (c >> 12 & 63));
  out[2] = (char)(0x80 | (c >> 6 & 63)), out[3] = (char)(0x80 | (c & 63));
  return 4;
}

/* A compact str object as a new UTF-8 string (at most 1023 characters),
 * or NULL if a is not a readable str. */
static char *prof__py_str(uintptr_t a) {
  unsigned char h[PROF__PY_STR_COMPACT_DATA];
  if (prof__py_peek(a, h, sizeof(h)) != 0 ||
      prof__py_word(h, PROF__PY_CO_TYPE) != prof__py_str_type)
    return NULL;
  uint64_t len = prof__py_word(h, PROF__PY_STR_LENGTH);
  unsigned state = h[PROF__PY_STR_STATE], kind = state >> 2 & 7;
  int ascii = state >> 6 & 1, compact = state >> 5 & 1;
  if (!compact || (kind != 1 && kind != 2 && kind != 4))
    return NULL;
  len = len > 1023 ? 1023 : len;
  unsigned char raw[4 * 1024];
  uintptr_t data = a + (ascii ? PROF__PY_STR_ASCII_DATA : PROF__PY_STR_COMPACT_DATA);
  if (prof__py_peek(data, raw, len * kind) != 0 && len)
    return NULL;
  char *out = malloc(4 * len + 1);
  size_t n = 0;
  for (uint64_t i = 0; out && i < len; i++) {
    uint32_t c = 0;
    memcpy(&c, raw + kind * i, kind); /* little-endian UCS1/2/4 */
    n += prof__py_utf8(out + n, c > 0x10ffff ? 0xfffd : c);
  }
  if (out)
    out[n] = 0;
  return out;
}

/* Reads a code object (alive: see prof__py_lookup) into c. The reads
 * are fault-free all the same. Returns 0, or -1 if it is not readable. */
static int prof__py_read_code(struct prof__py_code *c) {
  unsigned char h[PROF__PY_CO_READ], b[PROF__PY_BYTES_DATA];
  if (prof__py_peek(c->addr, h, sizeof(h)) != 0 ||
      prof__py_word(h, PROF__PY_CO_TYPE) != prof__py.code_type)
    return -1;
  uintptr_t lt = prof__py_word(h, PROF__PY_CO_LINETABLE);
  c->firstlineno = (int)(uint32_t)prof__py_word(h, PROF__PY_CO_FIRSTLINENO);
  c->name = prof__py_str(prof__py_word(h, PROF__PY_CO_QUALNAME));
  c->file = prof__py_str(prof__py_word(h, PROF__PY_CO_FILENAME));
  if (prof__py_peek(lt, b, sizeof(b)) == 0 &&
      prof__py_word(b, PROF__PY_CO_TYPE) == prof__py_bytes_type) {
    c->nlines = prof__py_word(b, PROF__PY_BYTES_SIZE);
    c->nlines = c->nlines > (1u << 20) ? 0 : c->nlines;
    c->lines = malloc(c->nlines + 1);
    if (!c->lines || prof__py_peek(lt + PROF__PY_BYTES_DATA, c->lines, c->nlines))
      c->nlines = 0;
  }
  return c->name && c->file ? 0 : -1;
}

static int prof__py_varint(const unsigned char *t, size_t n, size_t *i) {
  unsigned v = 0, shift = 0;
  while (*i < n && shift < 30) {
    unsigned b = t[(*i)++];
    v |= (b & 63) << shift;
    shift += 6;
    if (!(b & 64))
      break;
  }
  return (int)v;
}

static int prof__py_svarint(const unsigned char *t, size_t n, size_t *i) {
  int v = prof__py_varint(t, n, i);
  return v & 1 ? -(v >> 1) : v >> 1;
}

int prof__python_line(const unsigned char *t, size_t n, int first,
                      int lasti) {
  int line = first, addr = 0;
  size_t i = 0;
  if (lasti < 0)
    return first; /* a frame not started yet */
  while (i < n) {
    unsigned b = t[i++], code = b >> 3 & 15;
    int len = (int)(b & 7) + 1;
    if (code == 14) {
      line += prof__py_svarint(t, n, &i);
      for (int k = 0; k < 3; k++)
        prof__py_varint(t, n, &i);
    } else if (code == 13) {
      line += prof__py_svarint(t, n, &i);
    } else if (code >= 10 && code <= 12) {
      line += (int)code - 10, i += 2;
    } else if (code < 10) {
      i += 1;
    }
    if (lasti < addr + len)
      return code == 15 ? 0 : line;
    addr += len;
  }
  return 0;
}

/* The slot of heads[] for addr, created if absent. Under the lock.
 * Returns -1 on ENOMEM. */
static int64_t prof__py_head(uintptr_t addr) {
  uint64_t h = prof__hash_u64(0, addr);
  struct prof__hash_iter it;
  for (prof__hash_find(&prof__py_code_index, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (prof__py_codes[prof__py_heads[it.index]].addr == addr)
      return it.index;
  return -1;
}

/* Reads the code object at addr now, as the newest entry of its address
 * (slot: its heads[] slot, or -1 for a first one). Under the lock. */
static int64_t prof__py_add_code(uintptr_t addr, int64_t slot) {
  if (prof__grow((void **)&prof__py_codes, &prof__py_capcodes,
                 prof__py_ncodes + 1, sizeof(*prof__py_codes)) != 0 ||
      prof__grow((void **)&prof__py_heads, &prof__py_capheads,
                 prof__py_nheads + 1, sizeof(*prof__py_heads)) != 0)
    return -1;
  if (slot < 0 && prof__hash_insert(&prof__py_code_index, prof__hash_u64(0, addr),
                                    (uint32_t)prof__py_nheads) != 0)
    return -1;
  struct prof__py_code *c = &prof__py_codes[prof__py_ncodes];
  memset(c, 0, sizeof(*c));
  c->addr = addr, c->live = 1, c->older = slot < 0 ? -1 : prof__py_heads[slot];
  if (prof__py_read_code(c) != 0) {
    free(c->name), free(c->file), free(c->lines);
    c->name = c->file = NULL, c->lines = NULL, c->nlines = 0, c->gone = 1;
  }
  prof__py_heads[slot < 0 ? (int64_t)prof__py_nheads++ : slot] =
      (int64_t)prof__py_ncodes;
  return (int64_t)prof__py_ncodes++;
}

/* The code object a frame saw at addr when prof__py_deaths was `seen`:
 * the first one there to die at or after that number, else the live one
 * (read now if not yet: no death since means it is still that object,
 * and the lock keeps the hook, hence the free, waiting). Under the lock. */
static int64_t prof__py_lookup(uintptr_t addr, uint32_t seen) {
  int64_t slot = prof__py_head(addr), found = -1;
  for (int64_t i = slot < 0 ? -1 : prof__py_heads[slot]; i >= 0;
       i = prof__py_codes[i].older) {
    const struct prof__py_code *c = &prof__py_codes[i];
    if (!c->live && (int32_t)(c->death - seen) < 0)
      break; /* died before the frame was seen, as did all older ones */
    found = i;
  }
  return found >= 0 ? found : prof__py_add_code(addr, slot);
}

/* The location index of one Python frame (its two PCs), or -1. */
static int64_t prof__py_locate(uint64_t code_pc, uint64_t info) {
  int64_t ci = info & PROF__PY_PC_UNTRACKED
                   ? PROF__PY_UNTRACKED
                   : prof__py_lookup(code_pc, (uint32_t)info);
  if (ci < 0)
    return -1;
  const struct prof__py_code *c =
      ci == PROF__PY_UNTRACKED ? NULL : &prof__py_codes[ci];
  int lasti = (int)(uint32_t)(info >> 32 & 0x3fffffffu) - 1;
  int line = !c || c->gone
                 ? 0
                 : prof__python_line(c->lines, c->nlines, c->firstlineno, lasti);
  uint64_t h = prof__hash_u64(prof__hash_u64(1, (uint64_t)ci), (uint64_t)line);
  struct prof__hash_iter it;
  for (prof__hash_find(&prof__py_loc_index, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (prof__py_locs[it.index].code == ci && prof__py_locs[it.index].line == line)
      return it.index;
  if (prof__grow((void **)&prof__py_locs, &prof__py_caplocs, prof__py_nlocs + 1,
                 sizeof(*prof__py_locs)) != 0 ||
      prof__hash_insert(&prof__py_loc_index, h, (uint32_t)prof__py_nlocs) != 0)
    return -1;
  prof__py_locs[prof__py_nlocs] = (struct prof__py_loc){(uint32_t)ci, line};
  return (int64_t)prof__py_nlocs++;
}

/* 1 if r is a native frame of the interpreter's own object. */
static int prof__py_internal(const struct prof__rawframe *r) {
  uint64_t at = r->kind == PROF__RAW_CALL ? r->pc - 1 : r->pc;
  return r->kind != PROF__RAW_MANAGED && r->kind != PROF__RAW_TRUNCATED &&
         at >= prof__py_text_lo && at < prof__py_text_hi;
}

/* Drops the interpreter's own native frames between the innermost and
 * the outermost Python frame (call machinery, builtins' internals). */
static int prof__py_hide(struct prof__rawframe *raw, int m) {
  int first = -1, last = -1, k = 0;
  for (int i = 0; i < m; i++)
    if (raw[i].kind == PROF__RAW_MANAGED &&
        raw[i].id == (uint32_t)prof__py.runtime)
      last = i, first = first < 0 ? i : first;
  for (int i = 0; i < m; i++)
    if (i <= first || i >= last || !prof__py_internal(&raw[i]))
      raw[k++] = raw[i];
  return k;
}

int prof__python_resolve(struct prof__rawframe *raw, int m, int keep_internals) {
  int k = 0;
  pthread_mutex_lock(&prof__py_lock);
  for (int i = 0; i < m; i++) {
    struct prof__rawframe r = raw[i];
    if (r.kind == PROF__RAW_MANAGED && r.id == (uint32_t)prof__py.runtime) {
      if (i + 1 == m || !(raw[i + 1].pc & PROF__PY_PC_TAG))
        continue; /* half a frame, cut by the depth limit */
      int64_t loc = prof__py_locate(r.pc, raw[++i].pc);
      r.pc = loc < 0 ? 0 : (uint64_t)loc + 1;
    }
    raw[k++] = r;
  }
  pthread_mutex_unlock(&prof__py_lock);
  return keep_internals ? k : prof__py_hide(raw, k);
}

static void prof__py_symbolize(void *arg) {
  struct prof_symbolizer_arg *a = arg;
  if (a->pc == 0)
    return; /* end of a batch: nothing to release */
  pthread_mutex_lock(&prof__py_lock);
  if (a->pc <= prof__py_nlocs) {
    const struct prof__py_loc *l = &prof__py_locs[a->pc - 1];
    const struct prof__py_code *c =
        l->code == PROF__PY_UNTRACKED ? NULL : &prof__py_codes[l->code];
    a->func = !c ? "<python code not tracked>"
              : c->gone ? "<python code not readable>" : c->name;
    a->file = c ? c->file : NULL;
    a->lineno = (uintptr_t)(l->line > 0 ? l->line : 0);
  }
  pthread_mutex_unlock(&prof__py_lock);
}

static void prof__py_lock_all(void) { pthread_mutex_lock(&prof__py_lock); }
static void prof__py_unlock_all(void) { pthread_mutex_unlock(&prof__py_lock); }

/* Runs where CPython frees a code object, with the GIL held, before the
 * memory is released: a code a sample named is numbered (and read now if
 * the collector has not read it yet), so that frames taken before this
 * death keep its name and later objects at the same address do not. */
static void prof__py_dealloc(void *code) {
  uintptr_t a = (uintptr_t)code;
  for (int i = 0; i < PROF__PY_SEEN_PROBES; i++) {
    _Atomic uintptr_t *slot = &prof__py_seen[prof__py_seen_slot(a, i)];
    uintptr_t v = atomic_load_explicit(slot, memory_order_relaxed);
    if (v == 0)
      break;
    if (v != a || !atomic_compare_exchange_strong(slot, &v, PROF__PY_TOMB))
      continue;
    pthread_mutex_lock(&prof__py_lock);
    int64_t head = prof__py_head(a), ci = head < 0 ? -1 : prof__py_heads[head];
    if (ci < 0 || !prof__py_codes[ci].live)
      ci = prof__py_add_code(a, head);
    if (ci >= 0) {
      prof__py_codes[ci].live = 0;
      prof__py_codes[ci].death = (uint32_t)atomic_fetch_add(&prof__py_deaths, 1);
    }
    pthread_mutex_unlock(&prof__py_lock);
    break;
  }
  prof__py_orig_dealloc(code);
}
