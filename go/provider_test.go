package libprof_test

// The provider, driven by Go's own runtime: testdata/testprog (in the
// style of Go's runtime/testdata/testprogcgo) runs one scenario per mode
// as a subprocess; these tests check its output, its CPU profile (read
// with `go tool pprof -traces -lines`) or its crash dump. Source lines are
// found by the marker comments in testdata/testprog, never hard-coded.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var testprog string // the built test program

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "libprof-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testprog = filepath.Join(dir, "testprog")
	cmd := exec.Command("go", "build", "-o", testprog, ".")
	cmd.Dir = filepath.Join("testdata", "testprog")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testprog: %v\n%s", err, out)
		os.Exit(1)
	}
	rc := m.Run()
	os.RemoveAll(dir)
	os.Exit(rc)
}

// run runs the test program; it fails the test unless the exit status is
// wantOK's (true: 0, false: non-zero).
func run(t *testing.T, wantOK bool, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(testprog, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("testprog %v: %v (want success %v)\nstdout:\n%s\nstderr:\n%s",
			args, err, wantOK, o.String(), e.String())
	}
	return o.String(), e.String()
}

// line is the line of the source file in testdata/testprog holding marker.
func line(t *testing.T, file, marker string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "testprog", file))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "// "+marker) {
			return fmt.Sprintf("%s:%d", file, i+1)
		}
	}
	t.Fatalf("no marker %q in %s", marker, file)
	return ""
}

// frame is one frame of a profile trace or a Callers list: the function
// and "file:line" with the directory cut off.
type frame struct{ fn, at string }

func (f frame) String() string { return f.fn + " " + f.at }

func mkframe(fn, path string) frame {
	return frame{fn, filepath.Base(path)}
}

// traces reads a CPU profile as stacks, innermost frame first.
func traces(t *testing.T, prof string) [][]frame {
	t.Helper()
	out, err := exec.Command("go", "tool", "pprof", "-traces", "-lines",
		testprog, prof).CombinedOutput()
	if err != nil {
		t.Fatalf("pprof: %v\n%s", err, out)
	}
	var stacks [][]frame
	var cur []frame
	re := regexp.MustCompile(`^\s*(?:\S+s\s+)?(\S.*?) (\S+:\d+)(?: \(inline\))?$`)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "-----------+") {
			if len(cur) > 0 {
				stacks = append(stacks, cur)
			}
			cur = nil
			continue
		}
		if m := re.FindStringSubmatch(l); m != nil && strings.HasPrefix(l, " ") {
			cur = append(cur, mkframe(m[1], m[2]))
		}
	}
	if len(cur) > 0 {
		stacks = append(stacks, cur)
	}
	return stacks
}

// has reports whether s holds want as consecutive frames; an empty `at`
// in want matches any line.
func has(s []frame, want ...frame) bool {
	for i := 0; i+len(want) <= len(s); i++ {
		ok := true
		for k, w := range want {
			f := s[i+k]
			if f.fn != w.fn || (w.at != "" && f.at != w.at) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func contains(s []frame, fn string) bool { return has(s, frame{fn, ""}) }

func profile(t *testing.T, mode, d string) [][]frame {
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	run(t, true, "-mode="+mode, "-d="+d, "-out="+prof)
	return traces(t, prof)
}

// C functions appear under the Go frames that called them, with the line
// of each call, and the inlined mix() as its own frame.
func TestCPUProfileCFrames(t *testing.T) {
	stacks := profile(t, "cpu", "2s")
	loop := frame{"burn_c", line(t, "burn.c", "burn_c loop")}
	want := []frame{
		{"burn_c", ""},
		{"burn_b", line(t, "burn.c", "burn_b call")},
		{"burn_a", line(t, "burn.c", "burn_a call")},
	}
	tail := []frame{{"runtime.cgocall", ""}, {"main._Cfunc_burn_a", ""}}
	inlined, inC := 0, 0
	for _, s := range stacks {
		if !contains(s, "burn_c") {
			continue
		}
		inC++
		if !has(s, want...) || !has(s, tail...) {
			t.Errorf("incomplete C stack: %v", s)
		}
		if s[0].fn == "mix" && strings.HasPrefix(s[0].at, "burn.c:") &&
			has(s, s[0], loop) {
			inlined++
		}
	}
	if inC == 0 || inlined == 0 {
		t.Fatalf("%d stacks in C, %d with the inlined mix: %v", inC, inlined,
			stacks)
	}
}

// Go -> C -> Go -> C: the C frames between the callback and the outer cgo
// call come from the context hook.
func TestCallbackProfile(t *testing.T) {
	stacks := profile(t, "callback", "2s")
	between := []frame{
		{"runtime.cgocallback", ""},
		{"GoMiddle", ""},
		{"outer_c2", line(t, "burn.c", "outer_c2 call")},
		{"outer_c", line(t, "burn.c", "outer_c call")},
	}
	callbacks, complete := 0, 0
	for _, s := range stacks {
		if !contains(s, "inner_b") || !contains(s, "runtime.cgocallback") {
			continue
		}
		callbacks++
		if has(s, between...) && contains(s, "main._Cfunc_outer_c") &&
			has(s, frame{"inner_b", line(t, "burn.c", "inner_b call")},
				frame{"inner_a", line(t, "burn.c", "inner_a call")}) {
			complete++
		}
	}
	// A sample can land in the few instructions of cgocallback before
	// the context is pushed; those have no outer C frames, by Go's design.
	if callbacks == 0 || complete*10 < callbacks*9 {
		t.Fatalf("%d of %d callback stacks complete: %v", complete, callbacks,
			stacks)
	}
}

func callers(out string) []frame {
	var fs []frame
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "FRAME" {
			fs = append(fs, mkframe(f[1], f[2]))
		}
	}
	return fs
}

// runtime.Callers inside the callback (Go's context traceback, no
// sampling involved) lists the C frames between, exactly.
func TestCallersThroughCallback(t *testing.T) {
	out, _ := run(t, true, "-mode=callers")
	fs := callers(out)
	if !has(fs, frame{"runtime.cgocallback", ""}, frame{"GoMiddle", ""},
		frame{"outer_c2", line(t, "burn.c", "outer_c2 call")},
		frame{"outer_c", line(t, "burn.c", "outer_c call")},
		frame{"runtime.systemstack_switch", ""}) {
		t.Fatalf("C frames between missing:\n%s", out)
	}
}

// C++ frames carry demangled names.
func TestCallersDemangled(t *testing.T) {
	out, _ := run(t, true, "-mode=cpp")
	if !has(callers(out), frame{"GoMiddle", ""},
		frame{"ns::Outer::run(int)", line(t, "outer.cpp", "Outer::run call")},
		frame{"cpp_entry", ""}) {
		t.Fatalf("no demangled C++ frame:\n%s", out)
	}
}

// A C thread calls into Go: the C frames under the callback go down to
// the thread's start.
func TestCThread(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	out, _ := run(t, true, "-mode=cthread", "-d=1s", "-out="+prof)
	cthread := frame{"cthread_main", line(t, "burn.c", "cthread_main call")}
	if !has(callers(out), frame{"runtime.cgocallback", ""},
		frame{"GoFromThread", ""}, cthread, frame{"start_thread", ""}) {
		t.Fatalf("no C thread frames:\n%s", out)
	}
	n := 0
	for _, s := range traces(t, prof) {
		if contains(s, "inner_b") && has(s, frame{"GoFromThread", ""}, cthread) {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no profile stack from the C thread")
	}
}

// dump checks that a crash dump lists the C frames with file and line,
// innermost first, down to runtime.cgocall.
func dump(t *testing.T, stderr string, want ...string) {
	t.Helper()
	var pat strings.Builder
	for _, w := range want {
		fn, at, _ := strings.Cut(w, " ")
		pat.WriteString(regexp.QuoteMeta(fn) + `\n\t\S*/` + regexp.QuoteMeta(at) +
			` pc=0x[0-9a-f]+\n`)
	}
	pat.WriteString(`runtime\.cgocall\(`)
	if !regexp.MustCompile(pat.String()).MatchString(stderr) {
		t.Fatalf("dump lacks %v:\n%s", want, stderr)
	}
}

// SIGSEGV in C called from Go: Go prints the dump after sigpanic.
func TestCrashInC(t *testing.T) {
	_, stderr := run(t, false, "-mode=crash")
	dump(t, stderr, "crash_c "+line(t, "burn.c", "crash_c fault"),
		"crash_b "+line(t, "burn.c", "crash_b call"),
		"crash_a "+line(t, "burn.c", "crash_a call"))
}

// abort() in C: Go prints the dump inside its signal handler, on the
// 32 KiB signal stack, where symbolizing needs the private stack.
func TestAbortInC(t *testing.T) {
	_, stderr := run(t, false, "-mode=abort")
	re := regexp.MustCompile(`(?s)goroutine 1 \[syscall\]:\n(\S+)\n.*` +
		regexp.QuoteMeta("abort_b\n\t") + `\S*/` +
		regexp.QuoteMeta(line(t, "burn.c", "abort_b call")) + ` pc=.*` +
		regexp.QuoteMeta("abort_a\n\t") + `\S*/` +
		regexp.QuoteMeta(line(t, "burn.c", "abort_a call")) + ` pc=`)
	if !re.MatchString(stderr) {
		t.Fatalf("abort dump lacks the C frames:\n%s", stderr)
	}
}

// SIGQUIT while Go code runs inside a callback: the handler prints every
// goroutine, and the C frames between come from the context hook, called
// on the signal stack.
func TestSigquitInCallback(t *testing.T) {
	_, stderr := run(t, false, "-mode=sigquit")
	var pat strings.Builder
	pat.WriteString(`runtime\.cgocallback\(.*\n.*\nGoMiddle\n\t\S*_cgo_export\.c:\d+ pc=.*\n`)
	for _, w := range []string{"outer_c2 " + line(t, "burn.c", "outer_c2 call"),
		"outer_c " + line(t, "burn.c", "outer_c call")} {
		fn, at, _ := strings.Cut(w, " ")
		pat.WriteString(fn + `\n\t\S*/` + regexp.QuoteMeta(at) + ` pc=.*\n`)
	}
	if !regexp.MustCompile(pat.String()).MatchString(stderr) {
		t.Fatalf("SIGQUIT dump lacks the C frames between:\n%s", stderr)
	}
}

// 100 goroutines in cgo calls (a quarter of them calling back into Go),
// sampled at 1 kHz for 10 s, with GC pressure and all-goroutine
// tracebacks meanwhile: no crash, no hang, and the C frames are there.
func TestStress(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s")
	}
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	out, _ := run(t, true, "-mode=stress", "-d=10s", "-out="+prof)
	if !regexp.MustCompile(`stress ok: [1-9]\d* callbacks`).MatchString(out) {
		t.Fatalf("stress output: %s", out)
	}
	n := 0
	for _, s := range traces(t, prof) {
		if has(s, frame{"burn_b", line(t, "burn.c", "burn_b call")},
			frame{"burn_a", line(t, "burn.c", "burn_a call")}) {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no C stack in the stress profile")
	}
}
