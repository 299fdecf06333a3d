/* Internals of the pprof writer shared by pprof.c (samples, labels,
 * header, packing) and pprof_loc.c (string table, functions, locations).
 * Private to export/. Not thread-safe per writer; never in a signal
 * handler. */
#ifndef PROF_EXPORT_PPROF_H
#define PROF_EXPORT_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "export/model.h"
#include "export/proto/profile.pb-c.h"

typedef Perftools__Profiles__Profile prof__pb_profile;
typedef Perftools__Profiles__Sample prof__pb_sample;
typedef Perftools__Profiles__Location prof__pb_location;
typedef Perftools__Profiles__Line prof__pb_line;
typedef Perftools__Profiles__Function prof__pb_function;
typedef Perftools__Profiles__Mapping prof__pb_mapping;
typedef Perftools__Profiles__Label prof__pb_label;
typedef Perftools__Profiles__ValueType prof__pb_value_type;

#define PROF__PP_NCOMMENTS 4
#define PROF__PP_NLABELS 3 /* thread, tid, runtime */

/* A growable array of fixed-size elements. */
struct prof__pp_vec {
  void *v;
  size_t n, cap;
};

/* Everything the packed message points to; freed in one place. */
struct prof__pp {
  const struct prof__model *m;
  struct prof__pp_vec strs;     /* const char *; index = string id */
  struct prof__hash_table str_tab;
  struct prof__pp_vec owned;    /* char * made here (labels, comments) */
  struct prof__pp_vec funcs;    /* prof__pb_function *  */
  struct prof__hash_table func_tab;
  struct prof__pp_vec locs;     /* prof__pb_location *  */
  struct prof__hash_table loc_tab;
  struct prof__pp_vec loc_frames; /* uint32: frames of each location  */
  struct prof__pp_vec loc_off;    /* size_t: its first entry there    */
  uint64_t *frame_loc;            /* per frame: id of its one-frame
                                     location, 0 = not made yet   */
  struct prof__pp_vec labels;     /* prof__pb_label *          */
  struct prof__pp_vec label_sets; /* prof__pb_label **, NLABELS each */
  uint64_t *ids;                  /* one sample's location ids */
  uint8_t *scratch;               /* one packed sample         */
  size_t scratch_cap;
  prof__pb_mapping *maps;         /* one per model module      */
  prof__pb_mapping **map_ptrs;
  prof__pb_value_type types[3];   /* samples, cpu|wall, period */
  prof__pb_value_type *type_ptrs[2];
  int64_t comments[PROF__PP_NCOMMENTS];
  size_t ncomments;
};

#define PROF__PP_AT(vec, type, i) (((type *)(vec).v)[i])

/* Reserves one more element of a; returns it (uninitialized), or NULL. */
PROF__HIDDEN void *prof__pp_push(struct prof__pp_vec *a, size_t sz);

/* The string table id of s (NULL counts as ""), or -1 on ENOMEM. s must
 * outlive the pack: it points into the model or into pp->owned. */
PROF__HIDDEN int64_t prof__pp_str(struct prof__pp *pp, const char *s);

/* Like prof__pp_str for a malloc'd string (NULL = ENOMEM), which pp then
 * owns whatever happens. */
PROF__HIDDEN int64_t prof__pp_str_owned(struct prof__pp *pp, char *s);

/* Fills pp->ids with the location ids of stack st, leaf first, making
 * locations and functions as needed; returns how many, or -1 on ENOMEM.
 * pp->ids and pp->frame_loc must be allocated. */
PROF__HIDDEN int64_t prof__pp_stack(struct prof__pp *pp,
                                    const struct prof__model_stack *st);

#endif
