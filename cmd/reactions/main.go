// Command reactions collects public reactions to a news story, labels their
// stance toward the story's subject, stores them in ClickHouse and charts
// support and criticism over time. Run "reactions help" for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// errUsage marks a command-line mistake: main prints it and exits with 2.
var errUsage = errors.New("usage")

// usageErrorf returns an error wrapping errUsage.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// command is one subcommand. Each lives in its own file and registers itself.
type command struct {
	name    string
	summary string // one line for "reactions help"
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and maps its error to an exit code:
// 0 success, 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	setupLogging(stderr)
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		printHelp(stdout)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "reactions", Version)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "reactions: unknown command %q\n\n", name)
		printHelp(stderr)
		return 2
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "reactions %s: %v\n", name, err)
		return 2
	case errors.Is(err, errQuiet):
		return 1
	default:
		fmt.Fprintf(stderr, "reactions %s: %v\n", name, err)
		return 1
	}
}

// errQuiet is a failure that the command already reported in full.
var errQuiet = errors.New("failed")

// errHelp ends a command whose usage -h, -help or --help printed to
// stdout: main exits 0.
var errHelp = errors.New("help requested")

// newFlags returns the flag set of command name. Its usage, printed to the
// flag set's output, is about (default "Usage: reactions NAME [flags]" and
// the command's summary) followed by the flags.
func newFlags(name, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	if about == "" {
		about = fmt.Sprintf("Usage: reactions %s [flags]\n\n%s.\n", name, strings.TrimSuffix(commands[name].summary, "."))
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), about)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 && !strings.HasSuffix(about, ":\n") {
			fmt.Fprint(fs.Output(), "\nFlags:\n")
		}
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs: -h, -help or --help prints the usage to
// stdout and returns errHelp; a mistake prints the usage to stderr and
// returns a usage error naming it.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	fs.SetOutput(io.Discard) // the flag package's own messages
	err := fs.Parse(args)
	switch {
	case err == nil:
		fs.SetOutput(stderr)
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return errHelp
	}
	fs.SetOutput(stderr)
	fs.Usage()
	fmt.Fprintln(stderr)
	return usageErrorf("%v", err)
}

// helpAsked reports whether args ask for help alone (-h, -help, --help,
// help), for commands without flags of their own.
func helpAsked(args []string) bool {
	if len(args) != 1 {
		return false
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "reactions %s: collect, label and chart public reactions to a news story\n\n", Version)
	fmt.Fprintln(w, "Usage: reactions <command> [flags]   (reactions <command> -h for its flags)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "help", "print this help")
	fmt.Fprintf(w, "  %-12s %s\n", "version", "print the version")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Environment: "+homeEnv+" (state directory, default ./.reactions), "+dsnEnv)
	fmt.Fprintln(w, "(ClickHouse DSN; default: a local server under the state directory), "+secretEnv+",")
	fmt.Fprintln(w, "REACTIONS_LOG_LEVEL (debug|info|warn|error), REACTIONS_LOG_FORMAT (text|json).")
}

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

func setupLogging(w io.Writer) {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("REACTIONS_LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if os.Getenv("REACTIONS_LOG_FORMAT") == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	slog.SetDefault(slog.New(h))
}
