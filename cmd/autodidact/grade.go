package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/verify"
)

// newGradeCmd is `autodidact grade [--format auto|gsm8k|math] [--skip-bad]
// [FILE]`: JSON lines with gold and response (and optional format) in, the
// same lines with pred and correct added out.
func newGradeCmd() *cobra.Command {
	var format string
	var skipBad bool
	c := &cobra.Command{
		Use:   "grade [FILE] [flags]",
		Short: "grade JSON lines {gold, response[, format]}: adds pred and correct",
		Long: `Grade JSON lines, one object per line with "gold" and "response" (and an
optional "format": auto, gsm8k or math), from FILE or standard input
(no FILE, or -). Each line is written back with "pred" (the extracted
answer, or null) and "correct" added, and for an incorrect grade "reason"
(no-answer, mismatch, hedge, conflicting-answers, candidate-list,
response-too-long, answer-too-long, empty-box, ...: the verifier's rule
that decided it); a count goes to standard error.`,
		Example: `  printf '%s\n' '{"gold":"#### 18","response":"9*2=18, so #### 18"}' > answers.jsonl
  autodidact grade answers.jsonl
  autodidact grade --format math < answers.jsonl`,
		Args: rangeArgs(0, 1, "at most one input file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGrade(format, skipBad, args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	c.Flags().StringVar(&format, "format", "auto", "default answer format: auto, gsm8k or math (a line's own format field wins)")
	c.Flags().BoolVar(&skipBad, "skip-bad", false, "skip malformed lines (counted on stderr) instead of failing")
	c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"auto", "gsm8k", "math"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// runGrade carries out `autodidact grade`.
func runGrade(format string, skipBad bool, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	def, ok := verify.ParseFormat(format)
	if !ok {
		return fmt.Errorf("grade: unknown format %q (want auto, gsm8k or math)", format)
	}
	in, name := stdin, "stdin"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("grade: %w", err)
		}
		defer f.Close()
		in, name = f, args[0]
	}
	return gradeLines(in, name, stdout, stderr, def, skipBad)
}

func gradeLines(in io.Reader, name string, stdout, stderr io.Writer, def verify.Format, skipBad bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 64<<20)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	bad, n, correct := 0, 0, 0
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		out, ok, err := gradeLine(sc.Bytes(), def)
		if err != nil {
			if !skipBad {
				return fmt.Errorf("%s:%d: %v (use --skip-bad to skip malformed lines)", name, line, err)
			}
			bad++
			continue
		}
		n++
		if ok {
			correct++
		}
		w.Write(out)
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(stderr, "graded %d lines: %d correct (%.1f%%), %d malformed skipped\n", n, correct, 100*float64(correct)/float64(max(n, 1)), bad)
	return nil
}

// gradeLine grades one JSON object, keeping all its fields.
func gradeLine(b []byte, def verify.Format) ([]byte, bool, error) {
	var row map[string]json.RawMessage
	if err := json.Unmarshal(b, &row); err != nil {
		return nil, false, fmt.Errorf("not a JSON object: %v", err)
	}
	var gold, resp, fmtName string
	for _, f := range []struct {
		key string
		dst *string
		req bool
	}{{"gold", &gold, true}, {"response", &resp, true}, {"format", &fmtName, false}} {
		raw, ok := row[f.key]
		if !ok {
			if f.req {
				return nil, false, fmt.Errorf("missing field %q", f.key)
			}
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			var num json.Number // a numeric gold such as 42
			if f.key == "gold" && json.Unmarshal(raw, &num) == nil {
				*f.dst = num.String()
				continue
			}
			return nil, false, fmt.Errorf("field %q must be a string", f.key)
		}
	}
	format := def
	if fmtName != "" {
		var ok bool
		if format, ok = verify.ParseFormat(fmtName); !ok {
			return nil, false, fmt.Errorf("unknown format %q", fmtName)
		}
	}
	g := verify.Grade(resp, gold, format)
	if g.HasPred {
		row["pred"], _ = json.Marshal(g.Pred)
	} else {
		row["pred"] = json.RawMessage("null")
	}
	row["correct"], _ = json.Marshal(g.Correct)
	if g.Reason != "" {
		row["reason"], _ = json.Marshal(g.Reason)
	}
	out, err := json.Marshal(row)
	return out, g.Correct, err
}
