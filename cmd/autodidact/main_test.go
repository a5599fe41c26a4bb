package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestBenchPrintsTokensPerSecondLast(t *testing.T) {
	for _, kind := range []string{"train", "sample"} {
		var out, errb bytes.Buffer
		args := []string{"bench", kind, "--d", "32", "--layers", "1", "--heads", "2", "--ff", "48", "--vocab", "16",
			"--seq", "16", "--batch", "4", "--prompt", "4", "--new", "6", "--steps", "2"}
		if err := dispatch(args, &out, &errb); err != nil {
			t.Fatalf("%s: %v (%s)", kind, err, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if !strings.HasPrefix(lines[0], "BLAS: ") {
			t.Errorf("%s: first line %q should name the BLAS backend", kind, lines[0])
		}
		if last := lines[len(lines)-1]; !regexp.MustCompile(`^tokens/s=[0-9]+(\.[0-9]+)?$`).MatchString(last) {
			t.Errorf("%s: last line %q, want tokens/s=<number>", kind, last)
		}
		out.Reset()
		if err := dispatch(append(args, "--json"), &out, &errb); err != nil {
			t.Fatal(err)
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil || res["tokens_per_s"].(float64) <= 0 {
			t.Fatalf("%s --json: %v, %s", kind, err, out.String())
		}
	}
}

func TestUnknownCommandAndFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if err := dispatch([]string{"frobnicate"}, &out, &errb); err == nil {
		t.Error("unknown command must fail")
	}
	if err := dispatch([]string{"bench", "train", "--nope"}, &out, &errb); err == nil {
		t.Error("unknown flag must fail")
	}
	if err := dispatch([]string{"bench", "train", "--d", "30", "--heads", "4"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "head dimension") && !strings.Contains(err.Error(), "divisible") {
		t.Errorf("bad shape: got %v, want an error naming the config field", err)
	}
}
