// A cgo program for the host-safety tests: its runtime installs a
// handler for every signal, and it ends with a raw exit_group.
package main

// static int twice(int x) { return 2 * x; }
import "C"
import "fmt"

func burn() int {
	t := 0
	for i := 0; i < 2000000; i++ {
		t += i * int(C.twice(1)) % 7
	}
	return t
}

func main() { fmt.Println(burn() > 0) }
