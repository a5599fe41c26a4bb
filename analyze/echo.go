package analyze

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/autodidact-rl/autodidact/task"
)

// Classifier maps a policy's completion (the text of its trainable
// segments, joined by "\n") to a style label.
type Classifier func(completion string) string

// DefaultBucket is the default number of RL steps per bucket (card B10
// tracks every 10 steps).
const DefaultBucket = 10

// EchoOptions configure Echo.
type EchoOptions struct {
	// Bucket is the number of RL steps per bucket (0: DefaultBucket):
	// bucket b holds steps b·Bucket+1 … (b+1)·Bucket.
	Bucket int
	// Classify labels a completion (nil: task.StyleOf, the chain task's
	// "steps"/"direct").
	Classify Classifier
}

// StyleStat is one style within a bucket of N records:
//
//	Share    = N_s / N
//	Accuracy = Correct_s / N_s (null in JSON when N_s = 0)
type StyleStat struct {
	Style    string   `json:"style"`
	N        int      `json:"n"`
	Correct  int      `json:"correct"`
	Share    float64  `json:"share"`
	Accuracy *float64 `json:"accuracy"`
}

// EchoBucket is the records of RL steps FirstStep…LastStep:
// Accuracy = Correct / N, and one StyleStat per style seen anywhere in the
// file (in EchoReport.Styles order).
type EchoBucket struct {
	FirstStep int         `json:"first_step"`
	LastStep  int         `json:"last_step"`
	N         int         `json:"n"`
	Correct   int         `json:"correct"`
	Accuracy  float64     `json:"accuracy"`
	Styles    []StyleStat `json:"styles"`
}

// EchoReport is each style's share of the policy's outputs and its
// accuracy per bucket of RL steps, from the episodes a run recorded in
// samples.jsonl (the first samples_per_step kept episodes of each step, so
// a sample of the rollouts, not all of them). Total pools every record.
type EchoReport struct {
	File    string       `json:"file"`
	Bucket  int          `json:"bucket"`
	Records int          `json:"records"`
	Styles  []string     `json:"styles"`
	Buckets []EchoBucket `json:"buckets"`
	Total   EchoBucket   `json:"total"`
}

// sampleRecord is the part of a samples.jsonl line (episode.Record) read
// here.
type sampleRecord struct {
	GStep    *int `json:"gstep"`
	Step     int  `json:"step"`
	Correct  bool `json:"correct"`
	Segments []struct {
		Text      string `json:"text"`
		Trainable bool   `json:"trainable"`
	} `json:"segments"`
}

// Echo is EchoWith with default options (task.StyleOf, buckets of 10
// steps) on runDir/samples.jsonl.
func Echo(runDir string) (*EchoReport, error) {
	return EchoWith(runDir, EchoOptions{})
}

// EchoWith reads runDir/samples.jsonl (runDir may also name the file
// itself).
func EchoWith(runDir string, o EchoOptions) (*EchoReport, error) {
	path := runDir
	if st, err := os.Stat(runDir); err == nil && st.IsDir() {
		path = filepath.Join(runDir, samplesFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("analyze echo: %w", err)
	}
	defer f.Close()
	return EchoReader(f, path, o)
}

// EchoReader is EchoWith reading JSON lines from r; name labels errors.
func EchoReader(r io.Reader, name string, o EchoOptions) (*EchoReport, error) {
	if o.Bucket < 0 {
		return nil, fmt.Errorf("analyze echo: bucket %d must be >= 1", o.Bucket)
	}
	if o.Bucket == 0 {
		o.Bucket = DefaultBucket
	}
	if o.Classify == nil {
		o.Classify = task.StyleOf
	}
	type cell struct{ n, correct int }
	byBucket := map[int]map[string]*cell{}
	styles := map[string]bool{}
	rep := &EchoReport{File: name, Bucket: o.Bucket}
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("analyze echo: %s line %d: %w", name, line, err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			if err != nil {
				break
			}
			continue
		}
		var rec sampleRecord
		if jerr := json.Unmarshal(b, &rec); jerr != nil {
			return nil, fmt.Errorf("analyze echo: %s line %d: %v", name, line, jerr)
		}
		step := rec.Step
		if step == 0 && rec.GStep == nil {
			return nil, fmt.Errorf("analyze echo: %s line %d: no step", name, line)
		}
		if step == 0 {
			step = *rec.GStep
		}
		if step < 1 {
			return nil, fmt.Errorf("analyze echo: %s line %d: step %d", name, line, step)
		}
		var parts []string
		for _, s := range rec.Segments {
			if s.Trainable {
				parts = append(parts, s.Text)
			}
		}
		style := o.Classify(strings.Join(parts, "\n"))
		styles[style] = true
		k := (step - 1) / o.Bucket
		if byBucket[k] == nil {
			byBucket[k] = map[string]*cell{}
		}
		c := byBucket[k][style]
		if c == nil {
			c = &cell{}
			byBucket[k][style] = c
		}
		c.n++
		if rec.Correct {
			c.correct++
		}
		rep.Records++
		if err != nil { // a last line without its newline
			break
		}
	}
	for s := range styles {
		rep.Styles = append(rep.Styles, s)
	}
	sort.Strings(rep.Styles)
	keys := make([]int, 0, len(byBucket))
	for k := range byBucket {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	total := map[string]*cell{}
	mk := func(first, last int, cells map[string]*cell) EchoBucket {
		bk := EchoBucket{FirstStep: first, LastStep: last}
		for _, s := range rep.Styles {
			if c := cells[s]; c != nil {
				bk.N += c.n
				bk.Correct += c.correct
			}
		}
		bk.Accuracy = frac(bk.Correct, bk.N)
		for _, s := range rep.Styles {
			st := StyleStat{Style: s}
			if c := cells[s]; c != nil {
				st.N, st.Correct = c.n, c.correct
			}
			st.Share = frac(st.N, bk.N)
			if st.N > 0 {
				a := frac(st.Correct, st.N)
				st.Accuracy = &a
			}
			bk.Styles = append(bk.Styles, st)
		}
		return bk
	}
	for _, k := range keys {
		rep.Buckets = append(rep.Buckets, mk(k*o.Bucket+1, (k+1)*o.Bucket, byBucket[k]))
		for s, c := range byBucket[k] {
			if total[s] == nil {
				total[s] = &cell{}
			}
			total[s].n += c.n
			total[s].correct += c.correct
		}
	}
	if len(keys) > 0 {
		rep.Total = mk(keys[0]*o.Bucket+1, (keys[len(keys)-1]+1)*o.Bucket, total)
	} else {
		rep.Total = mk(0, 0, total)
	}
	return rep, nil
}
