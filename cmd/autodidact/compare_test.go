package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/compare"
)

// TestCompareCommand runs the bar in its smoke form:
// `compare --out DIR --seeds 1,2 grpo nsr --set KEY=VALUE --smoke`, then
// `report --plot` on one of its cells, and checks that a bad grid fails
// before any cell directory exists.
func TestCompareCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four smoke cells")
	}
	dir := filepath.Join(t.TempDir(), "cmp")
	var out, errb bytes.Buffer
	args := []string{"compare", "--out", dir, "--seeds", "1,2", "grpo", "nsr", "--set", "rl.steps=2", "--smoke"}
	if err := dispatch(args, &out, &errb); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
	}
	res, err := compare.ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := res.Figures["nsr"]["final_pass@1"]; st.N != 2 || st.CI95 == nil {
		t.Errorf("nsr final_pass@1 = %+v, want n 2 with an interval", st)
	}
	if !strings.Contains(out.String(), "| nsr | 2 |") {
		t.Errorf("no Markdown row for nsr in\n%s", out.String())
	}
	for _, f := range []string{"passk.svg", "passk.png", "compare.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	plots := filepath.Join(t.TempDir(), "plots")
	out.Reset()
	if err := dispatch([]string{"report", "--plot", "--plot-dir", plots, filepath.Join(dir, "grpo-seed1")}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"passk.svg", "passk.png", "accuracy.svg", "kl.png"} {
		if _, err := os.Stat(filepath.Join(plots, f)); err != nil {
			t.Error(err)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad")
	err = dispatch([]string{"compare", "--out", bad, "--seeds", "1", "grpo", "nosuch", "--smoke"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown recipe: err = %v", err)
	}
	if err := dispatch([]string{"compare", "--out", bad, "--seeds", "1,x", "grpo"}, &out, &errb); err == nil {
		t.Error("bad seed list accepted")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("bad grids created %s", bad)
	}
}
