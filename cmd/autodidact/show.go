package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// showOptions are the flags of `autodidact show`.
type showOptions struct {
	step  int
	by    string
	n     int
	color string
}

// newShowCmd is `autodidact show RUN [--step N] [--by logprob|advantage|none]
// [-n N] [--color auto|always|never]`.
func newShowCmd() *cobra.Command {
	var o showOptions
	c := &cobra.Command{
		Use:   "show RUN [flags]",
		Short: "print a run's episodes with roles, tokens coloured by log-prob or advantage",
		Example: `  autodidact show runs/<dir> --step 10 --color always
  autodidact show runs/<dir> -n 1 --by advantage`,
		Args: rangeArgs(1, 1, "name one run directory (show RUN [--step N])"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(args[0], o, cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.IntVar(&o.step, "step", 0, "RL step to show (0: the last one recorded)")
	f.StringVar(&o.by, "by", "logprob", "colour the policy's tokens by logprob, advantage or none")
	f.IntVarP(&o.n, "n", "n", 0, "episodes to show (0: all of the step)")
	f.StringVar(&o.color, "color", "auto", "ANSI colours: auto (on a terminal), always or never")
	c.RegisterFlagCompletionFunc("by", cobra.FixedCompletions([]string{"logprob", "advantage", "none"}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// runShow prints the episodes a run recorded in samples.jsonl.
func runShow(dir string, o showOptions, stdout io.Writer) error {
	step, by, n, color := &o.step, &o.by, &o.n, &o.color
	if *step < 0 || *n < 0 {
		return fmt.Errorf("show: --step %d, -n %d: want 0 or more", *step, *n)
	}
	switch *color {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("show --color %q: want auto, always or never", *color)
	}
	switch *by {
	case "logprob", "advantage":
	case "none":
		*by = ""
	default:
		return fmt.Errorf("show --by %q: want logprob, advantage or none", *by)
	}
	f, err := os.Open(filepath.Join(dir, run.SamplesFile))
	if err != nil {
		return fmt.Errorf("show: %s is not a run directory with episodes: %w", dir, err)
	}
	defer f.Close()
	var recs []episode.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	last := 0
	for sc.Scan() {
		line++
		var r episode.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			if len(sc.Bytes()) == 0 {
				continue
			}
			return fmt.Errorf("show: %s line %d: %w", f.Name(), line, err)
		}
		if r.Segments == nil {
			continue // a record from before episodes
		}
		last = max(last, r.Step)
		if *step == 0 || r.Step == *step {
			recs = append(recs, r)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("show: %s: %w", f.Name(), err)
	}
	want := *step
	if want == 0 {
		want = last
	}
	opt := episode.ShowOptions{ColorBy: *by, Color: *color == "always" || (*color == "auto" && run.IsTerminal(stdout))}
	if tok, err := tokenizer.Load(filepath.Join(dir, run.TokenizerFile)); err == nil {
		opt.Decode = func(id int32) string { return tok.Decode([]int32{id}) }
	}
	shown := 0
	for _, r := range recs {
		if r.Step != want || (*n > 0 && shown >= *n) {
			continue
		}
		episode.Show(stdout, r, opt)
		shown++
	}
	if shown == 0 {
		return fmt.Errorf("show: no episodes recorded at step %d in %s (last step %d)", want, dir, last)
	}
	return nil
}
