// Command stopch stops the local ClickHouse server recorded in a directory
// (the test harness's shared server, or a state directory's).
package main

import (
	"fmt"
	"os"

	"github.com/reactions-research/reactions/store/localch"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: stopch DIR")
		os.Exit(2)
	}
	if err := localch.Stop(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "stopch:", err)
		os.Exit(1)
	}
}
