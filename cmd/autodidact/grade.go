package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/autodidact-rl/autodidact/verify"
)

// runGrade implements `autodidact grade [FILE]`: JSON lines with gold and
// response (and optional format) in, the same lines with pred and correct
// added out.
func runGrade(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "auto", "default answer format: auto, gsm8k or math (a line's own format field wins)")
	skipBad := fs.Bool("skip-bad", false, "skip malformed lines (counted on stderr) instead of failing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	def, ok := verify.ParseFormat(*format)
	if !ok {
		return fmt.Errorf("grade: unknown format %q (want auto, gsm8k or math)", *format)
	}
	in, name := io.Reader(os.Stdin), "stdin"
	if fs.NArg() > 1 {
		return fmt.Errorf("grade: at most one input file")
	}
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, fs.Arg(0)
	}
	return gradeLines(in, name, stdout, stderr, def, *skipBad)
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
	out, err := json.Marshal(row)
	return out, g.Correct, err
}
