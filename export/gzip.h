/* gzip output for the pprof writer: packs a protobuf-c message into a
 * gzip stream on a stdio file as it is serialized, so the packed message
 * never sits in memory whole. Thread-safe; never in a signal handler. */
#ifndef PROF_EXPORT_GZIP_H
#define PROF_EXPORT_GZIP_H

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>

#define PROF__HIDDEN __attribute__((visibility("hidden")))

/* Writes msg, serialized and gzipped, to fp and flushes it. Returns 0,
 * PROF_ENOMEM (zlib could not start) or PROF_EIO (a write failed). */
PROF__HIDDEN int prof__gzip_pack(const ProtobufCMessage *msg, FILE *fp);

#endif
