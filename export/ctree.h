/* A call tree merged by key (a function index): the shared builder of the
 * report's --tree (report_tree.c) and the SVG writer (svg.c). Node 0 is
 * the root; children keep first-seen order. Private to export/. One owner;
 * not thread-safe; never in a signal handler. */
#ifndef PROF_EXPORT_CTREE_H
#define PROF_EXPORT_CTREE_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "export/model.h"

#define PROF__CTREE_NONE UINT32_MAX

struct prof__cnode {
  uint32_t key, parent;
  uint32_t first, last, next;  /* children list, next sibling */
  uint64_t value, count;       /* inclusive weight (ns) and samples */
  uint64_t self, self_n;       /* of the samples ending here        */
};

struct prof__ctree {
  struct prof__cnode *n;
  size_t len, cap;
  struct prof__hash_table tab; /* (parent, key) -> node */
};

/* Makes the root (node 0, key PROF__CTREE_NONE). 0 or PROF_ENOMEM. */
PROF__HIDDEN int prof__ctree_init(struct prof__ctree *t);
PROF__HIDDEN void prof__ctree_free(struct prof__ctree *t);

/* parent's child for key, made when missing; PROF__CTREE_NONE on ENOMEM. */
PROF__HIDDEN uint32_t prof__ctree_child(struct prof__ctree *t,
                                        uint32_t parent, uint32_t key);

/* Adds a sample below node `from`: from itself, then one node per frame
 * of st (root first) keyed by key_of[frame], each getting weight and
 * count; the last one also gets them as self. Returns 0 or PROF_ENOMEM. */
PROF__HIDDEN int prof__ctree_add(struct prof__ctree *t, uint32_t from,
                                 const struct prof__model_stack *st,
                                 const uint32_t *key_of, uint64_t weight,
                                 uint64_t count);

#endif
