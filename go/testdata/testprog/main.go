// Test program for the libprof cgo provider, in the style of Go's
// runtime/testdata/testprogcgo: one mode per scenario, run as a
// subprocess by ../../provider_test.go, which checks its output, its
// profile or its crash dump.
package main

/*
#include "burn.h"
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "libprof/go"
)

var (
	mode     = flag.String("mode", "cpu", "cpu|callback|callers|sigquit|cthread|crash|abort|cpp|stress")
	out      = flag.String("out", "cpu.pprof", "CPU profile path")
	duration = flag.Duration("d", 2*time.Second, "how long to run")
	pause    = flag.Duration("pause", 0, "wait before the run")
	deadline time.Time
)

// printCallers prints the caller frames, C frames included, one a line.
func printCallers() {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		f, more := frames.Next()
		fmt.Printf("FRAME %s %s:%d\n", f.Function, f.File, f.Line)
		if !more {
			return
		}
	}
}

//export GoMiddle
func GoMiddle(n C.int) {
	switch *mode {
	case "callers":
		printCallers()
		return
	case "sigquit": // dumped in the handler, through the context
		syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		time.Sleep(10 * time.Second)
		return
	}
	C.inner_a(C.uint64_t(n))
}

//export GoFromThread
func GoFromThread(n C.int) {
	printCallers()
	for time.Now().Before(deadline) {
		C.inner_a(C.uint64_t(n))
	}
}

var stressCalls int64

//export GoStress
func GoStress(n C.int) {
	atomic.AddInt64(&stressCalls, 1)
	C.inner_a(2000)
}

func profile(run func()) {
	f, err := os.Create(*out)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	run()
	pprof.StopCPUProfile()
	f.Close()
}

func stress() {
	runtime.SetCPUProfileRate(1000) // Start then warns once; the rate holds
	profile(func() {
		var wg sync.WaitGroup
		for g := 0; g < 100; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := g; time.Now().Before(deadline); i++ {
					C.stress_c(C.int(i))
				}
			}(g)
		}
		wg.Add(1)
		go func() { // GC pressure and all-goroutine tracebacks
			defer wg.Done()
			var keep [][]byte
			buf := make([]byte, 1<<20)
			for i := 0; time.Now().Before(deadline); i++ {
				keep = append(keep, make([]byte, 64<<10))
				if len(keep) > 256 {
					keep = nil
				}
				if i%100 == 0 {
					runtime.Stack(buf, true)
				}
			}
		}()
		wg.Wait()
	})
	fmt.Printf("stress ok: %d callbacks\n", atomic.LoadInt64(&stressCalls))
}

func main() {
	flag.Parse()
	time.Sleep(*pause)
	deadline = time.Now().Add(*duration)
	switch *mode {
	case "cpu":
		profile(func() {
			for time.Now().Before(deadline) {
				C.burn_a(1 << 20)
			}
		})
	case "callback":
		profile(func() {
			for time.Now().Before(deadline) {
				C.outer_c(1 << 20)
			}
		})
	case "callers", "sigquit":
		C.outer_c(1)
	case "cthread":
		profile(func() { C.start_cthread(1 << 20) })
	case "crash":
		C.crash_a()
	case "abort": // the dump is printed in the handler, on its stack
		C.abort_a()
	case "cpp":
		*mode = "callers"
		C.cpp_entry(1)
	case "stress":
		stress()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
}
