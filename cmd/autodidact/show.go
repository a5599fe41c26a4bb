package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// runShow implements `autodidact show RUN [--step N] [--by logprob|advantage] [-n N]`:
// the episodes a run recorded in samples.jsonl, in the terminal.
func runShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	step := fs.Int("step", 0, "RL step to show (0: the last one recorded)")
	by := fs.String("by", "logprob", "colour the policy's tokens by logprob, advantage or none")
	n := fs.Int("n", 0, "episodes to show (0: all of the step)")
	color := fs.String("color", "auto", "ANSI colours: auto (on a terminal), always or never")
	var dir string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		dir, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if dir == "" && fs.NArg() == 1 {
		dir = fs.Arg(0)
	} else if dir == "" || fs.NArg() > 0 {
		return fmt.Errorf("show: name one run directory (show RUN [--step N])")
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
	if tok, err := tokenizer.LoadChar(filepath.Join(dir, run.TokenizerFile)); err == nil {
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
