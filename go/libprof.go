// Package libprof makes libprof the cgo traceback, context and symbolizer
// provider of a Go program: C functions appear in runtime/pprof CPU
// profiles with file, line and inlined frames under the Go frames that
// called them, and crash tracebacks show the C frames (docs/go.md).
//
// Use it with a blank import:
//
//	import _ "libprof/go"
//
// The package links libprof through pkg-config (libprof.pc). Its init
// prepares libprof's unwinder and registers the hooks with
// runtime.SetCgoTraceback, which accepts one provider per program: do not
// combine it with another provider (such as cgosymbolizer).
package libprof

/*
#cgo pkg-config: libprof
#include <libprof.h>
*/
import "C"

import (
	"os"
	"runtime"
	"unsafe"
)

func init() {
	if err := C.prof_cgo_init(); err != 0 {
		// The program runs on without C frames; say why, once.
		os.Stderr.WriteString("libprof: no cgo tracebacks: " +
			C.GoString(C.prof_strerror(err)) + "\n")
		return
	}
	runtime.SetCgoTraceback(0, unsafe.Pointer(C.prof_cgo_traceback),
		unsafe.Pointer(C.prof_cgo_context),
		unsafe.Pointer(C.prof_cgo_symbolizer))
}
