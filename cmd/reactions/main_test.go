package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestHelpListsEveryCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"help"}, &out, &errb); code != 0 {
		t.Fatalf("help exit %d", code)
	}
	for name, c := range commands {
		if !strings.Contains(out.String(), name) || !strings.Contains(out.String(), c.summary) {
			t.Errorf("help does not list %s with its summary", name)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"no-such-command"},
		{"healthcheck", "--no-such-flag"},
		{"healthcheck"},
		{"migrate", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("%q: no message on stderr", args)
		}
	}
}

// TestCommandHelp: "reactions <command> --help" (and -h) prints the
// command's usage to stdout, nothing to stderr, and exits 0; a flag
// mistake still prints the usage, to stderr, and exits 2.
func TestCommandHelp(t *testing.T) {
	var cases [][]string
	for name := range commands {
		cases = append(cases, []string{name, "--help"}, []string{name, "-h"})
	}
	for _, sub := range []string{"text", "eval", "train"} {
		cases = append(cases, []string{"classify", sub, "--help"})
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		if code != 0 || errb.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, code, errb.String())
		}
		if !strings.HasPrefix(out.String(), "Usage:") || !strings.Contains(out.String(), "reactions "+args[0]) {
			t.Errorf("%q: stdout is not the usage of reactions %s:\n%s", args, args[0], out.String())
		}
		if name := args[0]; name != "clickhouse" && name != "migrate" && !strings.Contains(out.String(), "Flags") && name != "classify" {
			t.Errorf("%q: no flags listed:\n%s", args, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"export", "--no-such-flag"}, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "Usage: reactions export") || !strings.Contains(errb.String(), "no-such-flag") || out.Len() != 0 {
		t.Errorf("a flag mistake: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
