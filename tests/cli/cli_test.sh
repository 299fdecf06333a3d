#!/bin/sh
# Tests of the `libprof` command-line tool. One case per ctest entry:
#   cli_test.sh CASE LIBPROF WORKLOAD GOLDEN_DIR WORK_DIR
# Cases: help, errors, record_exit, record_signal, record_table,
# record_duration, record_ctrl_c, record_subprocesses, record_html, report,
# convert, malformed, no_self_session. Prints "N passed, M failed"; exits 1 on any failure.
set -u
case_name=$1 LIBPROF=$2 WORKLOAD=$3 GOLDEN=$4 WORK=$5
passed=0 failed=0
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
  d=$1; shift
  if "$@"; then ok; else bad "$d"; fi
}
# The status a parent sees: "exit N" or "signal N" (perl's system() keeps
# the difference that a shell's $? loses).
status_of() {
  perl -e 'my $r = system(@ARGV); $r == -1 and print("nostart\n"), exit;
           print($r & 127 ? "signal " . ($r & 127) : "exit " . ($r >> 8), "\n")' "$@"
}
one_line() { [ "$(wc -l < "$1")" -eq 1 ]; }

case_help() {
  for c in record report convert; do
    "$LIBPROF" "$c" --help > out.txt 2>&1
    check "$c --help exits 0" [ $? -eq 0 ]
    check "$c --help shows usage" grep -q "^usage: libprof $c" out.txt
  done
  "$LIBPROF" --help > out.txt; check "--help" grep -q "^commands:" out.txt
  "$LIBPROF" frobnicate 2> err.txt
  check "unknown command exits 2" [ $? -eq 2 ]
  check "unknown command named" grep -q "unknown command: frobnicate" err.txt
  "$LIBPROF" record -F 0 -- true 2> err.txt
  check "bad -F exits 2" [ $? -eq 2 ]
  check "bad -F explained" grep -q -- "-F/-r expects a rate" err.txt
  "$LIBPROF" record --mode fast -- true 2> err.txt
  check "bad --mode exits 2" [ $? -eq 2 ]
  "$LIBPROF" record --format png -- true 2> err.txt
  check "bad --format exits 2" [ $? -eq 2 ]
  "$LIBPROF" report 2> err.txt
  check "report without FILE exits 2" [ $? -eq 2 ]
  LIBPROF_LIB=/nonexistent.so "$LIBPROF" record -- true 2> err.txt
  check "missing LIBPROF_LIB exits 1" [ $? -eq 1 ]
  check "missing LIBPROF_LIB explained" grep -q "LIBPROF_LIB=/nonexistent.so" err.txt
}

# Each mistake: exit 2, exactly one line on stderr naming it, nothing run.
expect_usage() { # expect_usage PATTERN ARGS...
  pat=$1; shift
  "$LIBPROF" "$@" > out.txt 2> err.txt
  st=$?
  check "$*: exit 2 (got $st)" [ $st -eq 2 ]
  check "$*: one line" one_line err.txt
  check "$*: names the problem" grep -q -- "$pat" err.txt
  check "$*: nothing on stdout" [ ! -s out.txt ]
}

case_errors() {
  "$LIBPROF" 2> err.txt
  check "no command: exit 2" [ $? -eq 2 ]
  check "no command: one line" one_line err.txt
  expect_usage "unknown command: frob" frob
  expect_usage "unknown option: -x" record -x -- true
  expect_usage "unknown option: --bogus" record --bogus -- true
  expect_usage "option needs an argument: -o" record -o
  expect_usage "option needs an argument: -F" record -F
  expect_usage "-F/-r expects a rate.*: 0" record -r 0 -- true
  expect_usage "-F/-r expects a rate.*: fast" record --rate fast -- true
  expect_usage "--duration expects seconds.*: 0" record -d 0 -- true
  expect_usage "--duration expects seconds.*: 1x" record --duration 1x -- true
  expect_usage "--mode expects" record --mode fast -- true
  expect_usage "--format expects.*: svgz" record --format svgz -- true
  expect_usage "expects a command to run" record -o x.json
  expect_usage "-o expects a path" record -o "" -- true
  expect_usage "expects one FILE" report
  expect_usage "unknown option: -z" report -z x.json
  expect_usage "--top expects" report --top 0 x.json
  expect_usage "expects IN and OUT" convert a.json
  expect_usage "unknown option: --frmat" convert --frmat d3 a b
  check "no file left by the refused runs" sh -c '[ -z "$(ls | grep -v "^out.txt$\|^err.txt$")" ]'
}

case_record_exit() {
  check "exit status 7 passes through" \
    [ "$(status_of "$LIBPROF" record -q -o p.json -- "$WORKLOAD" 0.05 7)" = "exit 7" ]
  check "exit status 0 passes through" \
    [ "$(status_of "$LIBPROF" record -q -o q.json -- "$WORKLOAD" 0.05 0)" = "exit 0" ]
  check "profile written" [ -s p.json ]
  "$LIBPROF" report p.json > rep.txt
  check "profile readable" grep -q "self ms" rep.txt
  check "missing command exits 127" \
    [ "$(status_of "$LIBPROF" record -q -- ./no-such-program)" = "exit 127" ]
  check "%p expands to the child's pid" \
    [ "$(status_of "$LIBPROF" record -q -o 'pid.%p.json' -- "$WORKLOAD" 0.02 0)" = "exit 0" ]
  check "%p file exists" sh -c 'ls pid.[0-9]*.json > /dev/null'
}

case_record_signal() {
  ulimit -c 0
  check "SIGTERM of the child re-raised" \
    [ "$(status_of "$LIBPROF" record -q -o s.json -- "$WORKLOAD" 0.05 kill)" = "signal 15" ]
  check "SIGSEGV of the child re-raised" \
    [ "$(status_of "$LIBPROF" record -q -o t.json -- "$WORKLOAD" 0.05 segv)" = "signal 11" ]
  # SIGTERM to the tool reaches the child (30 s of work), and the tool
  # then dies of it too, well before the child would have finished.
  st=$(perl -e 'my $p = fork; if (!$p) { exec @ARGV; exit 127 }
    select(undef, undef, undef, 0.5); kill "TERM", $p; my $t = time;
    waitpid($p, 0); print(($? & 127) ? "signal " . ($? & 127) : "exit " . ($? >> 8));
    print " slow" if time - $t > 10' "$LIBPROF" record -q -o u.json -- "$WORKLOAD" 30)
  check "SIGTERM to the tool is forwarded ($st)" [ "$st" = "signal 15" ]
}

# --duration 1 on a program that would run 20 s of CPU: record ends it
# with SIGINT, which libprof turns into a written profile, and exits 0.
case_record_duration() {
  start=$(date +%s)
  "$LIBPROF" record -d 1 -o d.json -- "$WORKLOAD" 20 2> err.txt
  st=$? end=$(date +%s)
  check "--duration exits 0 (got $st)" [ $st -eq 0 ]
  check "--duration returns well before the program's 20 s ($((end - start)) s)" \
    [ $((end - start)) -lt 15 ]
  check "--duration says it stopped the program" grep -q "stopped .* after --duration 1 s" err.txt
  "$LIBPROF" report d.json > rep.txt 2>&1
  check "--duration profile is valid" grep -q "self ms" rep.txt
  check "--duration profile has samples" sh -c '! grep -q "^0 samples" rep.txt'
  # A wrapper's own child gets the SIGINT too (as Ctrl-C reaches a job),
  # and does not run on for its 20 s after record returns.
  "$LIBPROF" record -q -d 2 -o w.json -- python3 -c 'import subprocess, sys
p = subprocess.Popen([sys.argv[1], "20"])
open("gc.pid", "w").write(str(p.pid))
p.wait()' "$WORKLOAD" 2> /dev/null
  sleep 0.5
  check "wrapper's child started" [ -s gc.pid ]
  gst=$(awk '{print $3}' "/proc/$(cat gc.pid)/stat" 2> /dev/null)
  check "--duration ends the wrapper's child too (state '$gst')" \
    [ -z "$gst" -o "$gst" = Z ]
}

# The progress line: on a terminal only (script(1) gives record one),
# redrawn in place with the elapsed time, the pid and the CPU time.
case_record_progress() {
  script -qec "\"$LIBPROF\" record -o pr.json -- \"$WORKLOAD\" 1.2" /dev/null > tty.txt 2>&1
  check "progress run exits 0" [ $? -eq 0 ]
  check "progress line on a terminal" \
    grep -aq "$(printf '\r')libprof record: [0-9.]* s, pid [0-9]*, CPU [0-9.]* s" tty.txt
  "$LIBPROF" record -o pn.json -- "$WORKLOAD" 1.2 2> notty.txt
  check "no progress line without a terminal" sh -c '! grep -q "CPU [0-9.]* s" notty.txt'
  script -qec "\"$LIBPROF\" record -q -o pq.json -- \"$WORKLOAD\" 1.2" /dev/null > q.txt 2>&1
  check "no progress line with -q" sh -c '! grep -aq "libprof record:" q.txt'
}

# Ctrl-C: SIGINT to record's whole process group, as the terminal sends
# it. The program writes its profile and dies of SIGINT; record waits
# for it, lists the file and dies of SIGINT too.
case_record_ctrl_c() {
  st=$(perl -e 'my $p = fork; if (!$p) { setpgrp(0, 0); exec @ARGV; exit 127 }
    select(undef, undef, undef, 1.5); kill "INT", -$p; waitpid($p, 0);
    print(($? & 127) ? "signal " . ($? & 127) : "exit " . ($? >> 8))' \
    "$LIBPROF" record -o c.json -- "$WORKLOAD" 30 2> err.txt)
  check "record dies of SIGINT like the program ($st)" [ "$st" = "signal 2" ]
  check "profile kept at Ctrl-C" [ -s c.json ]
  check "record names the file" grep -q "wrote c.json" err.txt
  "$LIBPROF" report c.json > rep.txt 2>&1
  check "Ctrl-C profile is valid" grep -q "self ms" rep.txt
}

# A wrapper script: its commands profile themselves. record lists the
# busy one's file, removes the files of the never-sampled ones, and shows
# the table of the busiest profile, not of the (idle) shell.
case_record_subprocesses() {
  "$LIBPROF" record -o sub.json -- sh -c "/bin/true; /bin/true; \"$WORKLOAD\" 0.4; /bin/true" 2> err.txt
  check "wrapper exits 0" [ $? -eq 0 ]
  n=$(ls sub.*.json 2> /dev/null | wc -l)
  check "one subprocess profile kept ($n)" [ "$n" -eq 1 ]
  kept=$(ls sub.*.json 2> /dev/null)
  check "the kept one is listed" grep -q "wrote $kept (subprocess pid" err.txt
  check "empty ones removed and said so" grep -q "removed [0-9]* empty profile" err.txt
  check "table of the busy subprocess" grep -q "hot" err.txt
}

# -o x.html writes the page (not JSON), and record names it.
case_record_html() {
  "$LIBPROF" record -o page.html -- "$WORKLOAD" 0.2 2> err.txt
  check "html record exits 0" [ $? -eq 0 ]
  check "page written" grep -q "^<!DOCTYPE html>" page.html
  check "page named" grep -q "wrote page.html" err.txt
  "$LIBPROF" record -o two.json --format speedscope,html -- "$WORKLOAD" 0.2 2> err.txt
  check "both files named" grep -q "wrote two.json, two.html" err.txt
  "$LIBPROF" record -o pic.svg -- "$WORKLOAD" 0.2 2> err.txt
  check "svg record exits 0" [ $? -eq 0 ]
  check "svg written" sh -c 'head -2 pic.svg | grep -q "^<svg "'
  check "svg has the hot function" grep -q "<title>hot" pic.svg
  check "svg is well-formed XML" python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" pic.svg
  # The one format asked for goes to the path given.
  "$LIBPROF" record -o one.json --format pprof -- "$WORKLOAD" 0.1 2> err.txt
  check "-o one.json --format pprof writes one.json" \
    sh -c 'head -c 2 one.json | od -An -tx1 | grep -q "1f 8b"'
  check "no sibling for a single format" [ ! -e one.pb.gz ]
  check "one.json named" grep -q "wrote one.json" err.txt
}

case_record_table() {
  "$LIBPROF" record -o r.speedscope.json --format speedscope,pprof -- \
    "$WORKLOAD" 0.4 3 > out.txt 2> err.txt
  check "status with table" [ $? -eq 3 ]
  check "table header" grep -q "self ms.*self%.*total ms.*total%.*function" err.txt
  check "hot function in the table" grep -q "hot_inner\|hot\$" err.txt
  check "pprof sibling written" [ -s r.pb.gz ]
  check "child stdout untouched" [ ! -s out.txt ]
}

case_report() {
  "$LIBPROF" report "$GOLDEN/fixture.speedscope.json" > all.txt
  check "report exits 0" [ $? -eq 0 ]
  check "known table" cmp -s all.txt "$GOLDEN/report.txt"
  "$LIBPROF" report --top 3 --thread worker "$GOLDEN/fixture.speedscope.json" > w.txt
  check "known thread table" cmp -s w.txt "$GOLDEN/report_worker_top3.txt"
  "$LIBPROF" report "$GOLDEN/fixture.speedscope.json" -t 101 -n 3 |
    tail -n +2 > w2.txt
  tail -n +2 "$GOLDEN/report_worker_top3.txt" > w3.txt
  check "thread by tid (options after FILE)" cmp -s w2.txt w3.txt
  "$LIBPROF" report --thread nosuch "$GOLDEN/fixture.speedscope.json" 2> err.txt
  check "unknown thread exits 1" [ $? -eq 1 ]
  check "unknown thread explained" grep -q 'no thread named or numbered "nosuch"' err.txt
  "$LIBPROF" report --top 0 "$GOLDEN/fixture.speedscope.json" 2> err.txt
  check "--top 0 exits 2" [ $? -eq 2 ]
}

# report: the thread table, the tree, --lines, pprof-style short C++
# names (and --full-names), and files with counts but no time unit.
case_report_views() {
  ss=$GOLDEN/fixture.speedscope.json
  "$LIBPROF" report --tree "$ss" > t.txt
  check "tree is the known tree" cmp -s t.txt "$GOLDEN/report_tree.txt"
  "$LIBPROF" report --lines "$ss" > l.txt
  check "--lines is the known table" cmp -s l.txt "$GOLDEN/report_lines.txt"
  check "thread table lists both threads" sh -c \
    'grep -q "62.50%        10  main (100)" t.txt && grep -q "37.50%         6  worker (101)" t.txt'
  "$LIBPROF" report "$GOLDEN/fixture.folded" > c.txt
  check "collapsed counts shown as samples" cmp -s c.txt "$GOLDEN/report_counts.txt"
  "$LIBPROF" report --hz 1000 "$GOLDEN/fixture.folded" > h.txt
  check "--hz turns counts into time" grep -q "^16 samples, 16.000 ms at the --hz rate" h.txt
  long='std::vector<std::basic_string<char, std::char_traits<char>, std::allocator<char> >, std::allocator<std::basic_string<char, std::char_traits<char>, std::allocator<char> > > >::_M_realloc_insert<std::basic_string<char, std::char_traits<char>, std::allocator<char> > const&>(__gnu_cxx::__normal_iterator<std::basic_string<char, std::char_traits<char>, std::allocator<char> >*, std::vector<std::basic_string<char, std::char_traits<char>, std::allocator<char> >, std::allocator<std::basic_string<char, std::char_traits<char>, std::allocator<char> > > > >, std::basic_string<char, std::char_traits<char>, std::allocator<char> > const&) [clone .isra.0]'
  printf 'main (1);main;%s 3\nmain (1);main;(anonymous namespace)::Foo::operator()(int) const 1\nmain (1);main;bool std::operator< <int>(std::pair<int, int> const&) 1\n' "$long" > cxx.folded
  "$LIBPROF" report cxx.folded > n.txt
  check "template name elided" grep -q "  std::vector::_M_realloc_insert\$" n.txt
  check "anonymous namespace and operator() kept" grep -q "  (anonymous namespace)::Foo::operator()\$" n.txt
  check "operator< kept" grep -q "  bool std::operator<\$" n.txt
  "$LIBPROF" report --full-names cxx.folded > f.txt
  check "--full-names keeps the whole name" grep -qF "$long" f.txt
}

case_convert() {
  ss=$GOLDEN/fixture.speedscope.json
  "$LIBPROF" convert "$ss" a.speedscope.json && ok || bad "convert ss"
  check "speedscope round trip is exact" cmp -s a.speedscope.json "$ss"
  "$LIBPROF" convert "$ss" b.d3.json && "$LIBPROF" convert b.d3.json c.d3.json
  check "d3 round trip is exact" cmp -s b.d3.json c.d3.json
  check "d3 equals the golden d3" cmp -s b.d3.json "$GOLDEN/fixture.d3.json"
  "$LIBPROF" convert "$ss" d.folded && "$LIBPROF" convert d.folded e.collapsed
  check "collapsed round trip is exact" cmp -s d.folded e.collapsed
  check "collapsed equals the golden" cmp -s d.folded "$GOLDEN/fixture.folded"
  "$LIBPROF" convert b.d3.json f.json
  "$LIBPROF" report f.json | grep -v dropped > f.txt
  grep -v dropped "$GOLDEN/report.txt" > g.txt
  check "speedscope -> d3 -> speedscope keeps the table" cmp -s f.txt g.txt
  "$LIBPROF" convert "$ss" p.pb.gz && "$LIBPROF" convert p.pb.gz p.speedscope.json
  check "pprof round trip is exact" cmp -s p.speedscope.json "$ss"
  "$LIBPROF" report p.pb.gz > p.txt
  check "report reads pprof" cmp -s p.txt "$GOLDEN/report.txt"
  printf '\037\213garbage' > bad.pb.gz
  "$LIBPROF" report bad.pb.gz 2> err.txt
  check "corrupt pprof: exit 1" [ $? -eq 1 ]
  check "corrupt pprof: one line" one_line err.txt
  check "corrupt pprof: named" grep -q "bad.pb.gz: gzip data is corrupt" err.txt
  "$LIBPROF" convert "$ss" out.bin --format pprof
  check "--format names the output format" \
    sh -c 'head -c 2 out.bin | od -An -tx1 | grep -q "1f 8b"'
}

# A malformed input: exit 1, one line "libprof convert: ...", no output.
expect_bad() { # expect_bad NAME CONTENT|- PATTERN
  [ "$2" = - ] || printf '%s' "$2" > "$1"
  "$LIBPROF" convert "$1" out.speedscope.json 2> err.txt
  check "$1: exit 1" [ $? -eq 1 ]
  check "$1: one line" one_line err.txt
  check "$1: message" grep -q "^libprof convert: .*$3" err.txt
  check "$1: no output" [ ! -e out.speedscope.json ]
  check "$1: no temporary" sh -c '! ls | grep -q "\.tmp\."'
}

case_malformed() {
  expect_bad empty.json '' 'empty file'
  expect_bad truncated.json '{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[' 'invalid JSON'
  expect_bad schema.json '{"$schema":"https://example.com/x","shared":{"frames":[]},"profiles":[]}' 'schema'
  expect_bad other.json '{"a":1}' 'neither a speedscope'
  expect_bad bad.folded 'a;b notanumber' 'line 1'
  expect_bad missing.json - 'cannot open'
}

# LIBPROF_OUT in the CLI's own environment is for the programs it runs:
# the CLI itself never starts a session (issue 10).
case_no_self_session() {
  LIBPROF_OUT="$WORK/cli.json" "$LIBPROF" report "$GOLDEN/fixture.speedscope.json" \
    > out.txt 2>&1
  check "report with LIBPROF_OUT set exits 0" [ $? -eq 0 ]
  check "the CLI wrote no profile of its own" [ ! -e "$WORK/cli.json" ]
  check "and printed no summary of its own" sh -c '! grep -q "^libprof: [0-9]* samples" out.txt'
}

"case_$case_name"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
