// C->Go callback cost, with and without the libprof cgo provider (the
// context hook runs on every callback). Built twice by
// bench/go_callback.sh: plain, and with -tags provider.
package main

/*
#include <stdint.h>
extern void GoNop(void);
static void cb_loop(int64_t n) {
	for (int64_t i = 0; i < n; i++)
		GoNop();
}
*/
import "C"

import (
	"flag"
	"fmt"
	"time"
)

//export GoNop
func GoNop() {}

func main() {
	n := flag.Int64("n", 2000000, "callbacks per run")
	flag.Parse()
	C.cb_loop(1000) // warm up: threads, the first callback's setup
	t := time.Now()
	C.cb_loop(C.int64_t(*n))
	fmt.Printf("%.1f\n", float64(time.Since(t).Nanoseconds())/float64(*n))
}
