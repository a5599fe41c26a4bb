// Command autodidact trains language models and control policies that
// improve themselves through reinforcement learning.
//
// Usage:
//
//	autodidact run [RECIPE] [--set rl.lr=1e-4 ...] [--out DIR] [--dry-run]
//	autodidact run --resume DIR
//	autodidact recipes [show NAME [--set k=v]]
//	autodidact report DIR [DIR...]
//	autodidact compare --out DIR --seeds 1,2,3 RECIPE... [--set k=v] [--smoke] [--parallel N]
//	autodidact show RUN [--step N]
//	autodidact dash [--addr 127.0.0.1:8080] DIR...
//	autodidact control envs|train|eval|dataset
//	autodidact bench train  [--d 256 --layers 4 --heads 8 --ff 688 --vocab 64 --seq 128 --batch 16]
//	autodidact bench sample [--d 256 ... --batch 64 --prompt 16 --new 112]
//	autodidact grade [--format auto|gsm8k|math] [FILE]   (JSON lines in, graded lines out)
//	autodidact tasks [sample NAME -n 5]
//	autodidact completion bash|zsh|fish|powershell
//	autodidact version
//
// Flags may come before or after positional arguments. `--help`, `-h` and
// `help CMD` print a command's help to standard output. Exit status: 0 on
// success, 2 for a usage error (unknown command or flag, a stray or missing
// argument), 1 for any other error, printed as "autodidact: ...".
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/tensor"
)

// Exit statuses of the binary.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // the command line was wrong
)

// usageError marks an error in the command line itself (unknown command or
// flag, wrong number of arguments): the binary prints the command's usage
// and exits with status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// backendError reports a matrix-product backend that AUTODIDACT_BLAS asked
// for and that could not be used; every command but help and completion
// refuses to run then. Tests replace it.
var backendError = tensor.BackendError

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the command line args and returns the exit status, printing
// errors (and, for usage errors, the command's usage) to stderr.
func execute(args []string, stdout, stderr io.Writer) int {
	cmd, err := executeC(args, stdout, stderr)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "autodidact:", err)
	var u usageError
	if errors.As(err, &u) {
		if cmd != nil {
			fmt.Fprintf(stderr, "\n%s", cmd.UsageString())
		}
		return exitUsage
	}
	return exitError
}

// dispatch runs the command line args and returns its error; it is the
// entry point of the tests.
func dispatch(args []string, stdout, stderr io.Writer) error {
	_, err := executeC(args, stdout, stderr)
	return err
}

// executeC builds the command tree, runs args and returns the command that
// ran (or failed to parse) with its error.
func executeC(args []string, stdout, stderr io.Writer) (*cobra.Command, error) {
	root := newRoot(stdout, stderr)
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	return root.ExecuteC()
}

// newRoot builds the whole command tree, writing to stdout and stderr.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "autodidact",
		Short: "models that improve themselves through reinforcement learning",
		Long: `autodidact trains language models and control policies that improve
themselves through reinforcement learning, in one Go binary.

Start with 'autodidact recipes' to see the built-in recipes, then
'autodidact run RECIPE --smoke' to check one end to end in seconds.`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noCommandArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if skipsBackendCheck(cmd) {
				return nil
			}
			return backendError()
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("autodidact {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newRunCmd(),
		newRecipesCmd(),
		newCompareCmd(),
		newWorkerCmd(),
		newReportCmd(),
		newShowCmd(),
		newDashCmd(),
		newControlCmd(),
		newBenchCmd(),
		newGradeCmd(),
		newTasksCmd(),
		newTokenizeCmd(),
		newLogprobsCmd(),
		newServeCmd(),
		newAnalyzeCmd(),
		newSteerCmd(),
		newInternalRLCmd(),
		newVersionCmd(),
	)
	root.SetHelpCommand(newHelpCmd(root))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// skipsBackendCheck says whether cmd runs without a usable matrix-product
// backend: help and shell completion never multiply matrices.
func skipsBackendCheck(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return true
		}
	}
	return false
}

// newHelpCmd is `help [COMMAND...]`: the command's help on stdout, a usage
// error for an unknown topic.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND...]",
		Short: "print the help of any command",
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			c, _, err := root.Find(args)
			if err != nil || c == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, s := range c.Commands() {
				if s.IsAvailableCommand() {
					names = append(names, s.Name()+"\t"+s.Short)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || c == nil || len(rest) > 0 {
				return usagef("help: unknown command %q (see autodidact --help)", strings.Join(args, " "))
			}
			return c.Help()
		},
	}
}

// noCommandArgs is the Args check of a command that only groups
// subcommands: any positional argument names an unknown subcommand.
func noCommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
	}
	return usageError{errors.New(msg)}
}

// flagError turns a flag parsing error into a usage error, with a hint for
// the single-dash long flags that Go's flag package used to accept.
func flagError(_ *cobra.Command, err error) error {
	msg := err.Error()
	if i := strings.Index(msg, " in -"); strings.HasPrefix(msg, "unknown shorthand flag") && i >= 0 {
		name := strings.TrimPrefix(msg[i+len(" in "):], "-")
		name, _, _ = strings.Cut(name, "=")
		if len(name) > 1 {
			msg += fmt.Sprintf(" (long flags take two dashes: --%s)", name)
		}
	}
	return usageError{errors.New(msg)}
}

// cmdName is a command's path without the binary's name ("control train").
func cmdName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// noArgs refuses any positional argument: a stray one is a usage error
// (flags may come anywhere, so it is not a misplaced flag value).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmdName(cmd), strings.Join(args, " "))
	}
	return nil
}

// needArgs refuses fewer than n positional arguments with msg.
func needArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s: %s", cmdName(cmd), msg)
		}
		return nil
	}
}

// rangeArgs allows between lo and hi positional arguments.
func rangeArgs(lo, hi int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < lo:
			return usagef("%s: %s", cmdName(cmd), msg)
		case len(args) > hi:
			return usagef("%s: %s, got %d: %q", cmdName(cmd), msg, len(args), strings.Join(args, " "))
		}
		return nil
	}
}

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
