package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
)

// runTasks implements `autodidact tasks` (list) and `autodidact tasks
// sample NAME -n 5` (problems with reference or noisy solutions).
func runTasks(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "list" {
		for _, name := range task.Names() {
			t, _ := task.New(name, nil)
			fmt.Fprintf(stdout, "%-10s %s\n", name, t.Description())
		}
		return nil
	}
	if args[0] != "sample" || len(args) < 2 {
		return fmt.Errorf("tasks: want `tasks`, `tasks list` or `tasks sample NAME [-n 5]`")
	}
	name := args[1]
	fs := flag.NewFlagSet("tasks sample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 5, "number of problems")
	seed := fs.Uint64("seed", 1, "seed")
	split := fs.String("split", "train", "train or test")
	noise := fs.Float64("noise", 0, "error rate of the noisy solver (0: reference solutions)")
	kinds := fs.String("noise-kinds", "", "comma-separated error kinds: "+strings.Join(task.NoiseKinds, ","))
	var params paramFlags
	fs.Var(&params, "param", "task parameter key=value (repeatable), e.g. --param max_digits=5")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	t, err := task.New(name, params.m)
	if err != nil {
		return err
	}
	s := task.Train
	switch *split {
	case "train":
	case "test":
		s = task.Test
	default:
		return fmt.Errorf("tasks sample: split %q: want train or test", *split)
	}
	nz := task.Noise{Rate: *noise}
	if *kinds != "" {
		nz.Kinds = strings.Split(*kinds, ",")
	}
	if err := nz.Validate(); err != nil {
		return err
	}
	ps, err := task.Generate(t, s, *seed, *n, task.DefaultTemplate)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, 99))
	for i, p := range ps {
		sol := task.Solve(t, p, task.DefaultTemplate, nz, r)
		rw := t.Grade(p, sol)
		fmt.Fprintf(stdout, "--- %s %s #%d (difficulty %d, answer %s, solution correct: %v)\n%s%s\n", name, s, i+1, p.Difficulty, p.Answer, rw.Correct, p.Prompt, sol)
	}
	return nil
}

// paramFlags collects repeated key=value flags; values that parse as
// numbers or booleans become those.
type paramFlags struct{ m map[string]any }

func (p *paramFlags) String() string { return fmt.Sprint(p.m) }

func (p *paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	if p.m == nil {
		p.m = map[string]any{}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		p.m[k] = f
	} else if b, err := strconv.ParseBool(v); err == nil {
		p.m[k] = b
	} else if strings.Contains(v, ",") {
		p.m[k] = strings.Split(v, ",")
	} else {
		p.m[k] = v
	}
	return nil
}
