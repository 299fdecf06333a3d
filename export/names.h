/* Short function names for reports (names.c). Private to export/.
 * Thread-safe; never in a signal handler. */
#ifndef PROF_EXPORT_NAMES_H
#define PROF_EXPORT_NAMES_H

#include "base/common.h"

/* name with C++ template arguments and parameter lists elided, as pprof
 * shows it. A malloc'd string the caller frees, or NULL on ENOMEM. */
PROF__HIDDEN char *prof__short_name(const char *name);

#endif
