#include "profiler/symbolize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/stack.h"
#include "profiler/symtab.h"

struct prof__natsym {
  struct prof__modules *ms;
  struct prof__symtab **tabs; /* by module id, loaded on first use */
  uint32_t ntabs;
};

struct prof__natsym *prof__natsym_new(struct prof__modules *ms) {
  struct prof__natsym *ns = calloc(1, sizeof(*ns));
  if (ns)
    ns->ms = ms;
  return ns;
}

void prof__natsym_free(struct prof__natsym *ns) {
  if (!ns)
    return;
  for (uint32_t i = 0; i < ns->ntabs; i++)
    prof__symtab_free(ns->tabs[i]);
  free(ns->tabs);
  free(ns);
}

static const struct prof__symtab *prof__tab(struct prof__natsym *ns,
                                            const struct prof__module *m) {
  if (m->id >= ns->ntabs) {
    uint32_t n = prof__modules_count(ns->ms);
    void *p = realloc(ns->tabs, n * sizeof(*ns->tabs));
    if (!p)
      return NULL;
    ns->tabs = p;
    memset(ns->tabs + ns->ntabs, 0, (n - ns->ntabs) * sizeof(*ns->tabs));
    ns->ntabs = n;
  }
  if (!ns->tabs[m->id])
    ns->tabs[m->id] = prof__symtab_new(m);
  return ns->tabs[m->id];
}

static const char *prof__basename(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

int prof__natsym_resolve(struct prof__natsym *ns, uint32_t module, uint64_t pc,
                         int is_call, prof__symframe_fn fn, void *arg) {
  const struct prof__module *m =
      module == PROF__NO_MODULE ? NULL : prof__modules_get(ns->ms, module);
  struct prof__symframe f = {"[unknown]", NULL, 0, 0};
  char buf[512];
  if (m) {
    uint64_t vaddr = pc - (is_call ? 1 : 0) - m->bias;
    const struct prof__symtab *t = prof__tab(ns, m);
    const char *name = t ? prof__symtab_lookup(t, vaddr) : NULL;
    if (name) {
      f.name = name;
    } else {
      snprintf(buf, sizeof(buf), "%s+0x%llx", prof__basename(m->path),
               (unsigned long long)(pc - m->bias));
      f.name = buf;
    }
  }
  return fn(arg, &f);
}
