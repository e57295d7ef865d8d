// Command testguest misbehaves on request, for the host's sandbox tests:
// the input selects the behaviour.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/portico/portico/wasm-transforms/sdk"
)

var (
	calls int
	hoard [][]byte
	sink  int
)

func init() {
	sdk.Handle(func(in []byte) ([]byte, error) {
		calls++
		switch cmd := string(in); {
		case cmd == "oom": // grow the heap until the memory limit
			for {
				hoard = append(hoard, make([]byte, 1<<20))
			}
		case cmd == "loop":
			for i := 0; ; i++ {
				sink += i
			}
		case cmd == "panic":
			panic("guest panic")
		case cmd == "print":
			fmt.Println(strings.Repeat("log line ", 2000))
			fmt.Fprintln(os.Stderr, "to stderr")
			return []byte("printed"), nil
		case cmd == "calls":
			return []byte(fmt.Sprint(calls)), nil
		case cmd == "env":
			f, err := os.Open("/etc/passwd")
			if err == nil {
				f.Close()
			}
			return []byte(fmt.Sprintf("env=%d args=%d file=%v", len(os.Environ()), len(os.Args), err != nil)), nil
		case cmd == "fail":
			return nil, errors.New("bad input")
		default:
			return in, nil
		}
	})
}

func main() {}
