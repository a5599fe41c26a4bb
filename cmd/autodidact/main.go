// Command autodidact trains language models and control policies that
// improve themselves through reinforcement learning.
//
// Usage:
//
//	autodidact run [RECIPE] [--set rl.lr=1e-4 ...] [--out DIR]
//	autodidact run --resume DIR
//	autodidact report DIR [DIR...]
//	autodidact compare --out DIR --seeds 1,2,3 RECIPE... [--set k=v] [--smoke] [--parallel N]
//	autodidact bench train  [--d 256 --layers 4 --heads 8 --ff 688 --vocab 64 --seq 128 --batch 16]
//	autodidact bench sample [--d 256 ... --batch 64 --prompt 16 --new 112]
//	autodidact grade [--format auto|gsm8k|math] [FILE]   (JSON lines in, graded lines out)
//	autodidact tasks [sample NAME -n 5]
//	autodidact version
//
// Run `autodidact help` for the list of commands.
package main

import (
	"fmt"
	"io"
	"os"
)

// command is one subcommand: its name, a one-line summary and its entry.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"run", "pretrain, RL-train and evaluate a policy (run [RECIPE] [--set k=v] | run --resume DIR)", runRun},
	{"compare", "run a grid of recipes × seeds and compare them with intervals (compare --out DIR --seeds 1,2 R1 R2)", runCompare},
	{"report", "compare finished runs side by side (report DIR...)", runReport},
	{"show", "print a run's episodes with roles, tokens coloured by log-prob or advantage (show RUN [--step N])", runShow},
	{"dash", "a local web dashboard of runs: curves, pass@k, episodes, control rollouts (dash [--addr :8080] DIR...)", runDash},
	{"control", "classic-control environments and offline datasets (control envs | control dataset)", runControl},
	{"bench", "measure training and sampling speed (bench train | bench sample)", runBench},
	{"grade", "grade JSON lines {gold, response[, format]}: adds pred and correct", runGrade},
	{"tasks", "list tasks, or print problems with solutions (tasks sample NAME -n 5)", runTasks},
	{"version", "print the version and the matrix-product backend", runVersion},
}

func main() {
	if err := dispatch(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "autodidact:", err)
		os.Exit(1)
	}
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: autodidact <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nrecipes: %s\n", recipeList())
}
