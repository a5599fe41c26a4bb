package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/compare"
)

// TestCompareWorkers runs `compare --workers 2` (an embedded NATS server
// on loopback and two `autodidact worker` processes) on two smoke cells,
// `run --rollout-workers 1` on a smoke recipe, and checks the command
// line's refusals.
func TestCompareWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two smoke cells on worker processes")
	}
	dir := filepath.Join(t.TempDir(), "cmp")
	code, out, errs := runMain(t, nil, "compare", "grpo", "--smoke", "--seeds", "1,2", "--workers", "2", "--out", dir, "--ack-wait", "5s")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "embedded NATS server at nats://127.0.0.1:") {
		t.Errorf("no loopback embedded server in the output:\n%s", out)
	}
	res, err := compare.ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 2 || res.Figures["grpo"]["final_pass@1"].N != 2 {
		t.Errorf("cells %+v, figures %+v: want two finished cells", res.Cells, res.Figures["grpo"]["final_pass@1"])
	}
	rdir := filepath.Join(t.TempDir(), "run")
	code, out, errs = runMain(t, nil, "run", "grpo", "--smoke", "--out", rdir, "--rollout-workers", "1")
	if code != 0 || !strings.Contains(out, "rollout workers: 6 requests") {
		t.Errorf("run --rollout-workers 1: exit %d, want 0 and 6 rollout requests\n%s\n%s", code, out, errs)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"worker"}, 2, "--nats URL is required"},
		{[]string{"run", "grpo", "--smoke", "--out", rdir + "2", "--rollout-shards", "2"}, 1, "--rollout-shards needs rollout workers"},
		{[]string{"run", "two_turn_critic", "--smoke", "--out", rdir + "3", "--rollout-workers", "1"}, 1, "roles"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--max-cells", "-1"}, 1, "--max-cells"},
		{[]string{"compare", "grpo", "--out", dir + "2", "--workers", "1", "--parallel", "2"}, 2, "--parallel"},
		{[]string{"compare", "grpo", "--out", dir + "2", "--workers", "-1"}, 1, "--workers"},
		{[]string{"compare", "grpo", "--out", dir + "2", "--workers", "1", "--nats-listen", "nohost"}, 1, "--nats-listen"},
	} {
		code, _, errs := runMain(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
