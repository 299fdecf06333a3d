/* gzip output for the pprof writer: a ProtobufCBuffer that deflates what
 * is appended to it straight onto a stdio stream, so a packed profile
 * never sits in memory whole. Thread-safe (one stream per owner); never in
 * a signal handler. */
#ifndef PROF_EXPORT_GZIP_H
#define PROF_EXPORT_GZIP_H

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>

#include "base/common.h"

struct prof__gz;

/* Starts a gzip stream on fp (borrowed). NULL on ENOMEM. */
PROF__HIDDEN struct prof__gz *prof__gz_open(FILE *fp);

/* The buffer to append to (protobuf_c_message_pack_to_buffer or direct
 * append calls). Valid until prof__gz_close. */
PROF__HIDDEN ProtobufCBuffer *prof__gz_buffer(struct prof__gz *g);

/* Finishes the stream (when ok is non-zero), flushes fp, and frees g.
 * Returns 0, or PROF_EIO when a write failed. */
PROF__HIDDEN int prof__gz_close(struct prof__gz *g, int ok);

#endif
